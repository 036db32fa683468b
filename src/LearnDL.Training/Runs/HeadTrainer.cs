using LearnDL.Training.Featurization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace LearnDL.Training.Runs;

/// <summary>One image's bottleneck features and its class name, as ML.NET sees them.</summary>
public sealed class FeatureRow
{
    [VectorType(ResNet18Model.FeatureCount)] public float[] Features { get; set; } = [];
    public string Label { get; set; } = "";
}

/// <summary>A class name alone: the key order for MapValueToKey.</summary>
internal sealed class ClassKey
{
    public string Label { get; set; } = "";
}

/// <summary>What the head predicts for one row.</summary>
public sealed class HeadPrediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}

/// <summary>
/// Trains the classification head on cached features with ML.NET's L-BFGS maximum entropy trainer,
/// one epoch at a time: each epoch warm-starts from the previous epoch's weights, so every epoch can
/// report its own train and held-out metrics.
/// </summary>
public sealed class HeadTrainer(MLContext ml, IReadOnlyList<string> classNames, int iterationsPerEpoch)
{
    private ITransformer? _prepare;
    private MulticlassPredictionTransformer<MaximumEntropyModelParameters>? _head;
    private ITransformer? _model;

    /// <summary>Features in, class name out: the head as trained so far.</summary>
    public ITransformer Model => _model ??= new TransformerChain<ITransformer>(
        _prepare ?? throw new InvalidOperationException("Train at least one epoch first."), _head!,
        ml.Transforms.Conversion.MapKeyToValue(nameof(HeadPrediction.PredictedLabel)).Fit(_head!.Transform(_prepare.Transform(Empty))));

    private IDataView Empty => ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>());

    public IDataView Load(IEnumerable<FeatureRow> rows) => ml.Data.LoadFromEnumerable(rows);

    /// <summary>Runs one epoch; returns its metrics on the training and held-out rows.</summary>
    public EpochMetrics TrainEpoch(int epoch, IDataView train, IDataView test)
    {
        if (_prepare is null)
        {
            // Keys in the order of the dataset's classes, so scores and the confusion matrix line up with them.
            var keys = ml.Data.LoadFromEnumerable(classNames.Select(c => new ClassKey { Label = c }));
            _prepare = ml.Transforms.Conversion.MapValueToKey(nameof(FeatureRow.Label), keyData: keys)
                .Append(ml.Transforms.NormalizeMinMax(nameof(FeatureRow.Features)))
                .Fit(train);
        }
        var preparedTrain = _prepare.Transform(train);
        var trainer = ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = nameof(FeatureRow.Label),
            FeatureColumnName = nameof(FeatureRow.Features),
            MaximumNumberOfIterations = iterationsPerEpoch,
            L2Regularization = 0.01f,
            NumberOfThreads = 1,
        });
        _head = _head is null ? trainer.Fit(preparedTrain) : trainer.Fit(preparedTrain, _head.Model);
        _model = null;
        var onTrain = Evaluate(preparedTrain);
        var onTest = Evaluate(_prepare.Transform(test));
        return new(epoch, onTrain.MicroAccuracy, onTrain.LogLoss, onTest.MicroAccuracy, onTest.LogLoss);
    }

    /// <summary>Metrics of the head as trained so far, with the confusion matrix.</summary>
    public MulticlassClassificationMetrics EvaluateHeldOut(IDataView test) => Evaluate(_prepare!.Transform(test));

    private MulticlassClassificationMetrics Evaluate(IDataView prepared) =>
        ml.MulticlassClassification.Evaluate(_head!.Transform(prepared), nameof(FeatureRow.Label));
}
