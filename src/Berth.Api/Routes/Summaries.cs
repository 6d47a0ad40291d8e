using Berth.Api.Dto;
using Berth.Engine.Containers;
using Berth.Engine.Images;
using Berth.Storage.Metadata;

namespace Berth.Api.Routes;

/// <summary>The list shapes (<c>/containers/json</c>, <c>/images/json</c>, <c>/system/df</c>) made from the engine's
/// records.</summary>
internal static class Summaries
{
    public static ContainerSummary Container(ContainerService service, ContainerRow r, DateTimeOffset now, bool size = false)
    {
        var config = ContainerService.ConfigOf(r);
        (long Rw, long Image)? sizes = size ? service.SizeOf(r) : null;
        var network = config.Request.Network is "none" or "" ? "none" : config.Request.Network;
        return new ContainerSummary
        {
            Id = r.Id,
            Names = ["/" + r.Name],
            Image = r.ImageName,
            ImageID = r.ImageId,
            Command = ContainerService.CommandOf(r),
            Created = r.Created.ToUnixTimeSeconds(),
            Labels = config.Labels,
            State = service.StateOf(r),
            Status = service.StatusTextOf(r, now, (t, n) => ContainerService.Since(t, n) + " ago"),
            SizeRw = sizes?.Rw,
            SizeRootFs = sizes is { } s ? s.Rw + s.Image : null,
            HostConfig = new SummaryHostConfig(network),
            NetworkSettings = new SummaryNetworkSettings(service.NetworkNamesOf(r).ToDictionary(n => n, _ => new SummaryEndpoint())),
            Mounts = config.Mounts.Select(m => new SummaryMount
            {
                Type = m.Type, Name = m.Name, Source = m.Type == "volume" ? m.Source : m.Source, Destination = m.Destination,
                Driver = m.Type == "volume" ? "local" : null, RW = m.ReadWrite, Propagation = m.Type == "bind" ? m.Propagation : "",
            }).ToList(),
        };
    }

    public static ImageSummary Image(ImageService.ImageView v, int containers = -1, long sharedSize = -1) => new()
    {
        Id = v.Record.Id.ToString(),
        Created = (v.Config.Created ?? v.Record.Created ?? v.Record.Added).ToUnixTimeSeconds(),
        Labels = v.Config.Config?.Labels,
        RepoTags = v.Tags.Select(t => t.FamiliarName).ToList(),
        RepoDigests = [],
        Size = v.Size,
        VirtualSize = v.Size,
        Containers = containers,
        SharedSize = sharedSize,
    };
}
