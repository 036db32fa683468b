using System.Text;
using System.Text.Json.Nodes;
using LearnDL.Training.Compute;
using LearnDL.Training.Runs;

namespace LearnDL.Training.Tests;

/// <summary>A run as plain data: what a real run reports and returns goes through JSON and comes back the same.</summary>
public class RunWireTests(BuiltinRunFixture run) : IClassFixture<BuiltinRunFixture>
{
    [Fact]
    public void EveryEventOfARealRun_GoesThroughJsonWithItsType_AndComesBackEqual_EachUnderNotifysLimit()
    {
        List<RunEvent> events;
        lock (run.Events) events = [.. run.Events];
        Assert.Contains(events, e => e is StageStarted);
        Assert.Contains(events, e => e is ImagesFeaturized);
        Assert.Contains(events, e => e is EpochCompleted);
        foreach (var e in events)
        {
            var json = RunWire.Write<RunEvent>(e);
            Assert.True(Encoding.UTF8.GetByteCount(json) < RunWire.MaxEventBytes, json);
            Assert.NotNull(JsonNode.Parse(json)!["type"]);
            Assert.Equal(e, RunWire.Read<RunEvent>(json));
        }
    }

    [Theory]
    [InlineData("""{"type":"stage","elapsed":"00:00:01.5000000","stage":"featurize","detail":"ResNet18"}""", typeof(StageStarted))]
    [InlineData("""{"type":"cpu","elapsed":"00:00:02","window":{"cores":2,"wallSeconds":1,"processCpuSeconds":1.9,"otherCpuSeconds":0.1}}""", typeof(CpuMeasured))]
    public void EventsWrittenElsewhere_AreReadByTheirType(string json, Type expected)
    {
        var e = RunWire.Read<RunEvent>(json);
        Assert.IsType(expected, e);
        if (e is CpuMeasured cpu) Assert.Equal(new CpuShare(2, 1, 1.9, 0.1), cpu.Window);
        if (e is StageStarted stage) Assert.Equal(RunStage.Featurize, stage.Stage);
    }

    [Fact]
    public void ARunSpec_OnTheWire_HasTheFieldsWorkersRead_AndNoMore()
    {
        // Workers of another version read these names: the settings type behind them must not change the wire.
        var spec = RunSpec.For(Guid.NewGuid(), RunOptions.For(new RunSettings { Images = 40, Shared = true }), ComputeDevice.Gpu);
        var json = JsonNode.Parse(RunWire.Write(spec))!.AsObject();
        Assert.Equal(["id", "options"], json.Select(p => p.Key).Order());
        // precision (issue 25) is the one field added since: a worker runs the network at the precision the run asked for.
        Assert.Equal(["dataset", "device", "epochs", "headIterationsPerEpoch", "images", "precision", "saveModelPath", "seed", "testFraction"],
            json["options"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal("fp32", json["options"]!["precision"]!.GetValue<string>());
        var int8 = RunSpec.For(Guid.NewGuid(), RunOptions.For(new RunSettings { Precision = Precision.NetworkPrecision.Int8 }), ComputeDevice.Cpu);
        Assert.Equal(Precision.NetworkPrecision.Int8, RunWire.Read<RunSpec>(RunWire.Write(int8)).Options.Precision);
        Assert.Equal("gpu", json["options"]!["device"]!.GetValue<string>());
        Assert.Equal(ComputeDevice.Gpu, RunWire.Read<RunSpec>(json.ToJsonString()).ChosenDevice().Device);
        // traceParent (issue 23) only when the run is traced: a worker's spans continue the click's trace; older workers ignore it.
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var traced = JsonNode.Parse(RunWire.Write(spec with { TraceParent = traceParent }))!.AsObject();
        Assert.Equal(["id", "options", "traceParent"], traced.Select(p => p.Key).Order());
        Assert.Equal(traceParent, RunWire.Read<RunSpec>(traced.ToJsonString()).TraceParent);
    }

    [Fact]
    public void ARunSpecAndAResult_GoThroughJsonUnchanged()
    {
        var spec = new RunSpec(Guid.NewGuid(), new RunOptions { Dataset = "upload:Flowers", Images = 120, Epochs = 2, Device = DeviceRequest.Gpu, Seed = 7 });
        Assert.Equal(spec, RunWire.Read<RunSpec>(RunWire.Write(spec)));

        var json = RunWire.Write(run.Result);
        var back = RunWire.Read<RunResult>(json);
        Assert.Equal(json, RunWire.Write(back));
        Assert.Equal(run.Result.MicroAccuracy, back.MicroAccuracy);
        Assert.Equal(run.Result.ConfusionMatrix.SelectMany(r => r), back.ConfusionMatrix.SelectMany(r => r));
    }
}
