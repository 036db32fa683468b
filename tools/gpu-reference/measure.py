"""
Reference figures for the lessons, measured on a machine with an NVIDIA GPU (PyTorch, no downloads):
ResNet-18 (torchvision's architecture, random weights: speed does not depend on the weights) at 224x224,
forward only (what LearnDL's featurization does) and a full training step (forward, loss, backward,
update), on the GPU and on that machine's CPU; and a square matrix multiply from 16 to 2048 on both,
to show where a GPU's start-up cost outweighs its parallelism. Prints JSON.

    python3 tools/gpu-reference/measure.py > figures.json
"""
import json, os, platform, time
import torch, torchvision


def timed(fn, device, min_seconds=1.0, min_reps=3):
    fn()  # warm-up (kernels chosen, memory allocated)
    if device == "cuda": torch.cuda.synchronize()
    reps, start = 0, time.perf_counter()
    while reps < min_reps or time.perf_counter() - start < min_seconds:
        fn(); reps += 1
        if device == "cuda": torch.cuda.synchronize()
    return (time.perf_counter() - start) / reps


def resnet(device, batch, train):
    model = torchvision.models.resnet18(weights=None).to(device)
    x = torch.randn(batch, 3, 224, 224, device=device)
    if not train:
        model.eval()
        def step():
            with torch.no_grad(): model(x)
    else:
        model.train()
        y = torch.randint(0, 1000, (batch,), device=device)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        loss_fn = torch.nn.CrossEntropyLoss()
        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()
    seconds = timed(step, device)
    return {"device": device, "batch": batch, "train": train, "seconds_per_batch": seconds, "images_per_second": batch / seconds}


def matmul(device, n):
    a = torch.randn(n, n, device=device); b = torch.randn(n, n, device=device)
    seconds = timed(lambda: a @ b, device, min_seconds=0.3, min_reps=5)
    return {"device": device, "n": n, "seconds": seconds, "gflops": 2 * n ** 3 / seconds / 1e9}


torch.backends.cudnn.benchmark = True
torch.backends.cuda.matmul.allow_tf32 = False  # plain fp32 on both sides
torch.backends.cudnn.allow_tf32 = False
out = {
    "measured": time.strftime("%Y-%m-%d"),
    "torch": torch.__version__,
    "gpu": torch.cuda.get_device_name(0),
    "cpu": platform.processor() or open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(),
    "cpu_threads": torch.get_num_threads(),
    "precision": "FP32, TF32 off",  # the two allow_tf32 settings above
    "resnet18": [],
    "matmul": [],
}
for batch in (1, 8, 32, 64):
    out["resnet18"].append(resnet("cuda", batch, train=False))
for batch in (32, 64):
    out["resnet18"].append(resnet("cuda", batch, train=True))
out["resnet18"].append(resnet("cpu", 8, train=False))
out["resnet18"].append(resnet("cpu", 8, train=True))
for n in (16, 32, 64, 128, 256, 512, 1024, 2048):
    out["matmul"].append(matmul("cuda", n))
    out["matmul"].append(matmul("cpu", n))
print(json.dumps(out, indent=1))
