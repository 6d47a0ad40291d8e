// berth-daemon: the Docker Engine API server, started as `berth daemon ARGS` (which execs this executable beside it)
// or directly with the same arguments. Containers are run by the berth executable in the same directory.
return await Berth.Api.Daemon.RunAsync(args);
