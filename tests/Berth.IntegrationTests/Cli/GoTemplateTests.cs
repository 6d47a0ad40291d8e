using System.Text.Json;
using Berth.Cli.Output;

namespace Berth.IntegrationTests.Cli;

/// <summary>docker's <c>--format</c>/<c>inspect -f</c> templates: each expected output below is what docker 28's CLI
/// printed for the same template over a container with the same values (checked by hand on this machine).</summary>
public sealed class GoTemplateTests
{
    private const string Inspect = """
        {"Name":"/fmt1","State":{"Status":"running","Running":true,"Pid":7923,"ExitCode":0,"Health":null},
         "Config":{"Cmd":["sleep","20"],"Labels":{"a":"b","x":"y"},"Env":[],"Image":"busybox"},
         "HostConfig":{"Memory":67108864,"NanoCpus":0,"Binds":null},"Mounts":[]}
        """;

    private static string Run(string template, string json = Inspect)
    {
        using var doc = JsonDocument.Parse(json);
        return GoTemplate.Parse(template).Execute(doc.RootElement);
    }

    [Theory]
    [InlineData("{{.HostConfig.Memory}}", "67108864")]
    [InlineData("{{.State.Pid}}", "7923")]
    [InlineData("{{.Config.Labels}}", "map[a:b x:y]")]
    [InlineData("{{range .Mounts}}x{{end}}|", "|")]
    [InlineData("{{index .Config.Labels \"x\"}}", "y")]
    [InlineData("{{index .Config.Cmd 1}}", "20")]
    [InlineData("{{len .Config.Cmd}}", "2")]
    [InlineData("{{.Config.Cmd}}", "[sleep 20]")]
    [InlineData("{{json .Config.Labels}}", "{\"a\":\"b\",\"x\":\"y\"}")]
    [InlineData("{{json .Config.Cmd}}", "[\"sleep\",\"20\"]")]
    [InlineData("{{json .State.Running}}", "true")]
    [InlineData("{{json .Name}}", "\"/fmt1\"")]
    [InlineData("{{.State.Health}}", "<nil>")]
    [InlineData("{{upper .Name}}", "/FMT1")]
    [InlineData("{{.Name | upper}}", "/FMT1")]
    [InlineData("{{printf \"%s-%d\" .Name .State.Pid}}", "/fmt1-7923")]
    [InlineData("{{printf \"%5s|%-4d|%05d\" \"ab\" 7 42}}", "   ab|7   |00042")]
    [InlineData("{{join .Config.Cmd \",\"}}", "sleep,20")]
    [InlineData("{{if .State.Running}}up{{else}}down{{end}}", "up")]
    [InlineData("{{if eq .State.Status \"exited\"}}E{{else if eq .State.Status \"created\" \"running\"}}R{{else}}?{{end}}", "R")]
    [InlineData("{{if and .State.Running (not .State.ExitCode)}}ok{{end}}", "ok")]
    [InlineData("{{if or .Config.Env .Mounts}}yes{{else}}no{{end}}", "no")]
    [InlineData("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=b;x=y;")]
    [InlineData("{{range $i, $c := .Config.Cmd}}{{$i}}:{{$c}} {{end}}", "0:sleep 1:20 ")]
    [InlineData("{{range .Config.Cmd}}[{{.}}]{{end}}", "[sleep][20]")]
    [InlineData("{{range .Mounts}}m{{else}}none{{end}}", "none")]
    [InlineData("{{with .State}}{{.Status}} {{$.Name}}{{end}}", "running /fmt1")]
    [InlineData("{{with .Config.Env}}env{{else}}no env{{end}}", "no env")]
    [InlineData("{{$n := .Name}}{{$n}}", "/fmt1")]
    [InlineData("{{(index .Config.Cmd 0)}}", "sleep")]
    [InlineData("{{title \"abc def\"}}", "Abc Def")]
    [InlineData("{{split \"a,b\" \",\"}}", "[a b]")]
    [InlineData("{{truncate .Name 3}}", "/fm")]
    [InlineData("{{pad .Name 1 1}}", " /fmt1 ")]
    [InlineData("{{slice .Name 1 3}}", "fm")]
    [InlineData("{{println .Name}}", "/fmt1\n")]
    [InlineData("{{print 1 2 \"a\" 3}}", "1 2a3")]
    [InlineData("{{gt .State.Pid 7000}} {{lt .HostConfig.Memory 1}}", "true false")]
    [InlineData("a  {{- \" b \" -}}  c", "a b c")]
    [InlineData("{{/* a comment */}}ok", "ok")]
    [InlineData("{{.Name}}\\t{{.Config.Image}}", "/fmt1\tbusybox")]
    [InlineData("A{{.Config.Labels.nope}}B", "A<no value>B")]
    [InlineData("{{with .Config.Labels.nope}}set{{else}}unset{{end}} {{if .Config.Labels.a}}a{{end}}", "unset a")]
    public void RendersAsDockerDoes(string template, string expected) => Assert.Equal(expected, Run(template));

    [Theory]
    [InlineData("{{.Foo}}", "template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\"")]
    [InlineData("{{.Config.Nope}}", "template: :1:9: executing \"\" at <.Config.Nope>: map has no entry for key \"Nope\"")]
    [InlineData("{{.State.Health.Status}}", "nil pointer evaluating interface {}.Status")]
    [InlineData("{{index .Config.Cmd 5}}", "index out of range: 5")]
    [InlineData("{{range .Name}}{{end}}", "range can't iterate over /fmt1")]
    public void ExecutionErrorsNameTheProblem(string template, string message)
    {
        var e = Assert.Throws<TemplateException>(() => Run(template));
        Assert.False(e.IsParse);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("{{.Foo", "template: :1: unclosed action")]
    [InlineData("{{nofunc .Name}}", "template: :1: function \"nofunc\" not defined")]
    [InlineData("{{if .Name}}x", "unexpected EOF")]
    [InlineData("x{{end}}", "unexpected {{end}}")]
    [InlineData("a\n{{\"unterminated}}", "template: :2: unterminated quoted string")]
    public void ParseErrorsNameTheProblem(string template, string message)
    {
        var e = Assert.Throws<TemplateException>(() => GoTemplate.Parse(template));
        Assert.True(e.IsParse);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ListRowsHaveDockersLabelMethodAndJson()
    {
        var rows = new List<IReadOnlyDictionary<string, string>>
        {
            new Dictionary<string, string> { ["Names"] = "web", ["Labels"] = "a=b,c=d", ["Command"] = "\"sleep 20\"", ["CreatedAt"] = "2026-11-27 13:22:45 +0000 UTC" },
        };
        var columns = new List<RowPrinter.Column> { new("NAMES", "Names") };
        var output = new StringWriter();
        RowPrinter.Print(output, rows, columns, "{{.Names}} {{.Label \"c\"}} {{.Label \"none\"}}|", quiet: false, "Names");
        Assert.Equal("web d |\n", output.ToString());
        output = new StringWriter();
        RowPrinter.Print(output, rows, columns, "json", quiet: false, "Names");
        Assert.Equal("{\"Command\":\"\\\"sleep 20\\\"\",\"CreatedAt\":\"2026-11-27 13:22:45 +0000 UTC\",\"Labels\":\"a=b,c=d\",\"Names\":\"web\"}\n", output.ToString());
        output = new StringWriter();
        RowPrinter.Print(output, rows, columns, "table {{.Names}}\\t{{.Labels}}", quiet: false, "Names");
        Assert.Equal(["NAMES", "LABELS"], output.ToString().Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
