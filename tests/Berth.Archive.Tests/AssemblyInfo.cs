// berth's archive code is Linux-only (openat2, overlayfs whiteouts); so are its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
