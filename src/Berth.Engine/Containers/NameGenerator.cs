namespace Berth.Engine.Containers;

/// <summary>Docker-style container names ("adjective_surname"), from short lists of our own.</summary>
internal static class NameGenerator
{
    private static readonly string[] Left =
    [
        "brave", "calm", "clever", "eager", "fervent", "gentle", "happy", "jolly", "keen", "lucid", "merry", "nimble",
        "quiet", "quirky", "serene", "sharp", "steady", "swift", "tender", "vivid", "wise", "zealous", "bold", "crisp",
    ];

    private static readonly string[] Right =
    [
        "babbage", "curie", "darwin", "euler", "fermat", "gauss", "hopper", "hypatia", "kepler", "lovelace", "meitner",
        "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "torvalds", "turing", "wozniak", "yalow",
    ];

    public static string Next(Func<string, bool> isFree)
    {
        for (var attempt = 0; ; attempt++)
        {
            var name = $"{Left[Random.Shared.Next(Left.Length)]}_{Right[Random.Shared.Next(Right.Length)]}";
            if (attempt > 10) name += Random.Shared.Next(100);
            if (isFree(name)) return name;
        }
    }
}
