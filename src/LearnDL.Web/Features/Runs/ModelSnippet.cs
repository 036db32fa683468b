namespace LearnDL.Web.Features.Runs;

/// <summary>
/// The C# a learner needs to use a downloaded model on their own machine: a whole console program,
/// as the run page shows it. The tests compile and run this very text on a downloaded model.
/// </summary>
public static class ModelSnippet
{
    public static string Text(string modelFile, IReadOnlyList<string> classes) => $$"""
        // dotnet new console, then:
        // dotnet add package Microsoft.ML --version 5.0.1
        // dotnet add package Microsoft.ML.ImageAnalytics --version 5.0.1
        // dotnet add package Microsoft.ML.OnnxTransformer --version 5.0.1
        // dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18 --version 0.23.1
        // dotnet add package Microsoft.ML.OnnxRuntime --version 1.31.1
        using Microsoft.ML;
        using Microsoft.ML.Transforms.Image;

        var ml = new MLContext();
        // The features LearnDL computed: the picture centre-cropped to 224x224, through ResNet18.
        var features = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "Path")
            .Append(ml.Transforms.ResizeImages("Image", 224, 224, resizing: ImageResizingEstimator.ResizingKind.IsoCrop, cropAnchor: ImageResizingEstimator.Anchor.Center))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"))
            .Fit(ml.Data.LoadFromEnumerable(new[] { new Input() }));
        var head = ml.Model.Load("{{modelFile}}", out _); // the file you downloaded
        using var engine = ml.Model.CreatePredictionEngine<Input, Prediction>(features.Append(head));
        var prediction = engine.Predict(new Input { Path = "my-picture.jpg" });
        Console.WriteLine($"{prediction.PredictedLabel} ({prediction.Score.Max():P0})"); // one of: {{string.Join(", ", classes)}}

        public class Input
        {
            public string Path { get; set; } = "";
            public string Label { get; set; } = ""; // the model maps a Label column; leave it empty to predict
        }

        public class Prediction
        {
            public string PredictedLabel { get; set; } = "";
            public float[] Score { get; set; } = [];
        }
        """;
}
