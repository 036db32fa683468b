namespace LearnDL.Training.Runs;

/// <summary>The steps of a run, in order.</summary>
public enum RunStage
{
    /// <summary>Choosing (and for the built-in set, generating) the images.</summary>
    Prepare,
    /// <summary>Reading and decoding image files.</summary>
    Decode,
    /// <summary>Cropping and resizing to 224x224 and extracting pixel planes.</summary>
    Resize,
    /// <summary>Running the pretrained CNN: the expensive part, where a GPU matters.</summary>
    Featurize,
    /// <summary>Training the classification head on the cached features, epoch by epoch.</summary>
    Train,
    /// <summary>Scoring the held-out images.</summary>
    Evaluate,
}

public static class RunStageNames
{
    public static string ToId(this RunStage stage) => stage switch
    {
        RunStage.Prepare => "prepare",
        RunStage.Decode => "decode",
        RunStage.Resize => "resize",
        RunStage.Featurize => "featurize",
        RunStage.Train => "train",
        _ => "evaluate",
    };

    public static string Title(this RunStage stage) => stage switch
    {
        RunStage.Prepare => "Preparing images",
        RunStage.Decode => "Decoding",
        RunStage.Resize => "Resizing",
        RunStage.Featurize => "Featurizing with ResNet18",
        RunStage.Train => "Training the head",
        _ => "Evaluating",
    };
}
