using Berth.Runtime.Process;

namespace Berth.Runtime.Tests.Process;

public sealed class ProcessMemoryTests
{
    [Fact]
    public void OnlyCleanReadOnlyFileMappingsAreDropped()
    {
        string[] smaps =
        [
            "55d0a6ff1000-55d0a75ca000 r-xp 00000000 08:01 1234                       /usr/bin/berth",
            "Rss:                1492 kB",
            "Anonymous:             0 kB",
            "55d0a7857000-55d0a7a0c000 r--p 00866000 08:01 1234                       /usr/bin/berth",
            "Anonymous:            12 kB",
            "55d0a7a0e000-55d0a7a2c000 rw-p 00a1d000 08:01 1234                       /usr/bin/berth",
            "Anonymous:             0 kB",
            "55d0a7a2c000-55d0a7ce2000 rw-p 00000000 00:00 0 ",
            "Anonymous:          2720 kB",
            "7f27db8f6000-7f27dba4c000 r-xp 00028000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6",
            "Anonymous:             0 kB",
            "7f27dc000000-7f27dc001000 r--s 00000000 08:01 77                         /dev/shm/shared",
            "Anonymous:             0 kB",
            "7ffd1000000-7ffd1021000 rw-p 00000000 00:00 0                          [stack]",
            "Anonymous:           132 kB",
        ];
        var dropped = ProcessMemory.CleanFileMappings(smaps).ToList();
        Assert.Equal([(0x55d0a6ff1000L, 0x55d0a75ca000L - 0x55d0a6ff1000L), (0x7f27db8f6000L, 0x7f27dba4c000L - 0x7f27db8f6000L)],
            dropped.Select(m => ((long)m.Start, (long)m.Length)).ToList());
    }
}
