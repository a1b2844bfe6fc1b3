using TorchSharp;
var t = torch.ones(2, 2).matmul(torch.ones(2, 2));
Console.WriteLine(t.sum().item<float>());
