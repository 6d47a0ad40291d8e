using Berth.Oci.Errors;
using Berth.Runtime.Spec;

namespace Berth.Runtime.Tests.Spec;

public sealed class UserDatabaseTests
{
    private static readonly UserDatabase Db = new()
    {
        Passwd = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:u:/home/user:/bin/sh\n# comment\nbad line\n",
        Group = "root:x:0:\nwheel:x:10:user,other\nuser:x:1000:\naudio:x:29:user\n",
    };

    [Fact]
    public void NameResolvesToUidGidAndMemberGroups()
    {
        // -u user: uid and primary gid from passwd, supplementary groups from /etc/group, primary first.
        var u = Db.Resolve("user");
        Assert.Equal((1000u, 1000u), (u.Uid, u.Gid));
        Assert.Equal([1000u, 10u, 29u], u.AdditionalGids);
    }

    [Fact]
    public void ExplicitGroupReplacesPrimaryAndDropsMemberships()
    {
        // -u user:audio, as runc's GetExecUser.
        var u = Db.Resolve("user:audio");
        Assert.Equal((1000u, 29u), (u.Uid, u.Gid));
        Assert.Equal([29u], u.AdditionalGids);
    }

    [Fact]
    public void UnknownNumericUidGetsGidZero()
    {
        // -u 4242 with no passwd entry is allowed: gid 0, as Docker.
        var u = Db.Resolve("4242");
        Assert.Equal((4242u, 0u), (u.Uid, u.Gid));
        Assert.Equal([0u], u.AdditionalGids);
    }

    [Fact]
    public void NumericUidAndGid()
    {
        // -u 5:6 needs no database.
        var u = UserDatabase.Empty.Resolve("5:6");
        Assert.Equal((5u, 6u), (u.Uid, u.Gid));
    }

    [Theory]
    [InlineData("nobody")]
    [InlineData("user:nogroup")]
    [InlineData(":5")]
    [InlineData("user:")]
    public void UnknownNamesAreErrors(string spec)
    {
        // A bad -u is a clear error (docker exits 125 with "unable to find user").
        var e = Assert.Throws<BerthException>(() => Db.Resolve(spec));
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void GroupAddAppendsGroups()
    {
        // --group-add by name or number.
        var u = Db.Resolve("root", ["audio", "77"]);
        Assert.Equal([0u, 29u, 77u], u.AdditionalGids);
    }

    [Fact]
    public void LoadReadsThroughTheRootNotTheHost()
    {
        // An image whose /etc/passwd is a symlink to an absolute path must read its own file, not the host's (P1).
        using var dir = new Berth.Testing.TempDirectory("berth-users");
        Directory.CreateDirectory(dir.Combine("etc"));
        Directory.CreateDirectory(dir.Combine("real"));
        File.WriteAllText(dir.Combine("real", "passwd"), "inside:x:7:7::/:/bin/sh\n");
        File.CreateSymbolicLink(dir.Combine("etc", "passwd"), "/real/passwd");
        File.CreateSymbolicLink(dir.Combine("etc", "group"), "/etc/shadow-does-not-exist");
        var db = UserDatabase.Load(dir.Path);
        Assert.Equal("inside:x:7:7::/:/bin/sh\n", db.Passwd);
        Assert.Null(db.Group);
        Assert.Equal(7u, db.Resolve("inside").Uid);
    }
}
