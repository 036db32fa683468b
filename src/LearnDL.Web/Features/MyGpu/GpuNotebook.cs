using System.Text.Json;
using System.Text.Json.Nodes;

namespace LearnDL.Web.Features.MyGpu;

/// <summary>
/// The notebook a learner runs on a free GPU (Colab, Kaggle) to measure the card they really get: ResNet-18
/// timed the way tools/gpu-reference/measure.py times the reference GPU (forward at batch 32, a full training
/// step, a matrix multiply sweep; FP32 with TF32 off, and FP16 mixed precision where there is a GPU), falling
/// back to the CPU when the runtime has none. It prints one line of JSON, which LearnDL reads back
/// (<see cref="GpuResultParser"/>). ResNet-18 is defined in the notebook (torchvision's architecture, random
/// weights: speed does not depend on them), so it needs PyTorch alone and downloads nothing.
/// </summary>
public static class GpuNotebook
{
    public const string FileName = "learndl-measure-my-gpu.ipynb";

    /// <summary>The code cells, in order (the test runs them as one script, with the small sizes).</summary>
    public static IReadOnlyList<string> CodeCells { get; } =
    [
        """
        # 1. Which machine is this? (No GPU listed: change the runtime as the text above says, then run all again.)
        import json, os, platform, shutil, subprocess, time
        import torch
        DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
        if shutil.which("nvidia-smi"):
            print(subprocess.run(["nvidia-smi"], capture_output=True, text=True).stdout)
        print("PyTorch", torch.__version__, "| device:", DEVICE, "|", torch.cuda.get_device_name(0) if DEVICE == "cuda" else "no GPU: measuring the CPU")
        """,
        """
        # 2. Sizes. LEARNDL_NOTEBOOK_SMALL=1 makes a quick test (small images, short timings); LearnDL scales its speeds to 224x224.
        SMALL = os.environ.get("LEARNDL_NOTEBOOK_SMALL") == "1"
        IMAGE_SIZE = 64 if SMALL else 224
        BATCH = 4 if SMALL else 32
        MIN_SECONDS = 0.05 if SMALL else 1.0
        MATMUL_SIZES = (16, 64, 128) if SMALL else (16, 64, 256, 1024, 2048, 4096)
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = False  # plain FP32, as the reference figures
        torch.backends.cudnn.allow_tf32 = False
        """,
        """
        # 3. ResNet-18 (He et al., 2016; torchvision's layout), random weights.
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self, cin, cout, stride):
                super().__init__()
                self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(cout)
                self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(cout)
                self.relu = nn.ReLU(inplace=True)
                self.down = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            def forward(self, x):
                y = self.relu(self.bn1(self.conv1(x)))
                y = self.bn2(self.conv2(y))
                return self.relu(y + (x if self.down is None else self.down(x)))
        def resnet18(classes=1000):
            layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
            cin = 64
            for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                layers += [Block(cin, cout, stride), Block(cout, cout, 1)]; cin = cout
            return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))
        """,
        """
        # 4. Timing, as LearnDL's tools/gpu-reference/measure.py does it.
        def timed(fn, min_seconds=MIN_SECONDS, min_reps=3):
            fn()  # warm-up: kernels chosen, memory allocated
            if DEVICE == "cuda": torch.cuda.synchronize()
            reps, start = 0, time.perf_counter()
            while reps < min_reps or time.perf_counter() - start < min_seconds:
                fn(); reps += 1
                if DEVICE == "cuda": torch.cuda.synchronize()
            return (time.perf_counter() - start) / reps

        def network(train, amp):
            model = resnet18().to(DEVICE)
            x = torch.randn(BATCH, 3, IMAGE_SIZE, IMAGE_SIZE, device=DEVICE)
            autocast = (lambda: torch.autocast("cuda", dtype=torch.float16)) if amp else None
            if not train:
                model.eval()
                def step():
                    with torch.no_grad():
                        if amp:
                            with autocast(): model(x)
                        else: model(x)
            else:
                model.train()
                y = torch.randint(0, 1000, (BATCH,), device=DEVICE)
                opt = torch.optim.SGD(model.parameters(), lr=0.01)
                loss_fn = nn.CrossEntropyLoss()
                scaler = torch.cuda.amp.GradScaler() if amp else None
                def step():
                    opt.zero_grad(set_to_none=True)
                    if amp:
                        with autocast(): loss = loss_fn(model(x), y)
                        scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
                    else:
                        loss_fn(model(x), y).backward(); opt.step()
            seconds = timed(step)
            return {"precision": "amp" if amp else "fp32", "batch": BATCH, "train": train, "seconds_per_batch": seconds, "images_per_second": BATCH / seconds}

        def matmul(n, dtype):
            a = torch.randn(n, n, device=DEVICE, dtype=dtype); b = torch.randn(n, n, device=DEVICE, dtype=dtype)
            seconds = timed(lambda: a @ b, min_seconds=MIN_SECONDS / 3, min_reps=5)
            return {"precision": "fp16" if dtype == torch.float16 else "fp32", "n": n, "seconds": seconds, "gflops": 2 * n ** 3 / seconds / 1e9}
        """,
        """
        # 5. Measure (a minute or two on a GPU, longer on a CPU), then print the one line to paste into LearnDL.
        def cpu_name():
            try:
                return open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip()
            except Exception:
                return platform.processor() or platform.machine() or "unknown CPU"
        result = {
            "learndl": "learndl-gpu-result", "version": 1,
            "measured": time.strftime("%Y-%m-%d"), "torch": torch.__version__,
            "device": DEVICE, "gpu": torch.cuda.get_device_name(0) if DEVICE == "cuda" else None,
            "cpu": cpu_name(), "cpu_threads": torch.get_num_threads(), "image_size": IMAGE_SIZE,
            "resnet18": [], "matmul": [],
        }
        for amp in ((False, True) if DEVICE == "cuda" else (False,)):  # FP16 mixed precision needs a GPU
            for train in (False, True):
                result["resnet18"].append(network(train, amp))
        for n in MATMUL_SIZES:
            result["matmul"].append(matmul(n, torch.float32))
            if DEVICE == "cuda": result["matmul"].append(matmul(n, torch.float16))
        print(json.dumps(result))
        """,
    ];

    private const string Introduction = """
        # Measure the GPU you really get, for LearnDL

        This notebook times ResNet-18 the way LearnDL's reference GPU was timed: forward at batch 32, a full
        training step, and a matrix multiply sweep, in FP32 (and FP16 mixed precision on a GPU). It prints one
        line of JSON at the end: copy it into LearnDL's lesson 8 ("Measure your own GPU") and the lessons,
        the calculator and the compare page show your card beside the reference H200.

        **First, switch the notebook to a GPU runtime** (a new notebook runs on a CPU):

        - **Google Colab**: *Runtime › Change runtime type*, choose **T4 GPU**, *Save*.
        - **Kaggle**: in the notebook's *Settings* panel, *Accelerator*, choose a **GPU** (T4 or P100).

        The session restarts on the new machine. Then *Run all*. Without a GPU the notebook still runs, on the
        CPU, and says so: LearnDL will tell you to switch and run it again.

        It downloads nothing and needs only PyTorch, which both services have installed. The GPU quota counts
        while the GPU session is open: switch back to a CPU runtime when you are done.
        """;

    /// <summary>The notebook, as nbformat 4 JSON (Colab reads its "accelerator" metadata and offers the GPU).</summary>
    public static string Build()
    {
        var cells = new JsonArray { Cell("markdown", Introduction) };
        foreach (var code in CodeCells) cells.Add(Cell("code", code));
        var notebook = new JsonObject
        {
            ["nbformat"] = 4,
            ["nbformat_minor"] = 4,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = "python3", ["display_name"] = "Python 3", ["language"] = "python" },
                ["language_info"] = new JsonObject { ["name"] = "python" },
                ["accelerator"] = "GPU",
                ["colab"] = new JsonObject { ["gpuType"] = "T4", ["provenance"] = new JsonArray() },
            },
            ["cells"] = cells,
        };
        return notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Cell(string type, string text)
    {
        var lines = text.TrimEnd().Split('\n');
        var source = new JsonArray();
        for (var i = 0; i < lines.Length; i++) source.Add(i < lines.Length - 1 ? lines[i] + "\n" : lines[i]);
        var cell = new JsonObject { ["cell_type"] = type, ["metadata"] = new JsonObject(), ["source"] = source };
        if (type == "code") { cell["execution_count"] = null; cell["outputs"] = new JsonArray(); }
        return cell;
    }
}
