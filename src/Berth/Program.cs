// berth: one native binary, several roles. The role is chosen before anything else starts so that the
// container init path stays small (see DESIGN.md § Runtime).
if (Berth.Oci.Diagnostics.Timeline.Enabled) Berth.Oci.Diagnostics.Timeline.Mark("main " + string.Join(' ', args));
if (args is ["init", ..]) return Berth.Runtime.Init.ContainerInit.Run(args);
if (args is [Berth.Engine.Containers.ContainerMonitor.Role, ..]) return Berth.Engine.Containers.ContainerMonitor.Run(args);
if (args is [Berth.Engine.Networks.NetworkResolver.Role, ..]) return Berth.Engine.Networks.NetworkResolver.Run(args);
if (args is [Berth.Api.Daemon.Role, ..]) return await Berth.Api.Daemon.RunAsync(args[1..]);
return await Berth.Cli.BerthCli.RunAsync(args, Berth.Api.Daemon.RunAsync);
