using Ristretto.Zoo;

namespace Ristretto.Tests.Zoo;

public class ModelZooTests
{
    public static TheoryData<string> Names => new(ModelZoo.Names);

    [Fact]
    public void Should_List_Every_Architecture_Of_Issue_4()
    {
        Assert.Equal(["lenet", "lenet5", "cifar10", "caffenet", "alexnet", "squeezenet1.0", "squeezenet1.1", "googlenet", "resnet18", "mobilenetv2"], ModelZoo.Names);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Should_Map_One_Image_To_Finite_Scores_For_The_Requested_Classes(string name)
    {
        using var net = ModelZoo.Create(name, classes: 7, seed: 3);
        Assert.False(net.training, $"{name} is not in inference mode");
        var y = Count.ForwardOne(net);
        Assert.Equal(7, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v), $"{name} gives {v}"));
    }

    [Theory]
    [InlineData("lenet", 10)]
    [InlineData("cifar10", 10)]
    [InlineData("squeezenet1.1", 1000)]
    [InlineData("MobileNetV2", 1000)]
    public void Should_Default_To_The_Architectures_Own_Number_Of_Classes(string name, int classes)
    {
        Assert.Equal(classes, ModelZoo.DefaultClasses(name));
        using var net = ModelZoo.Create(name);
        Assert.Equal(classes, net.Validate()[net.Outputs[0]][1]);
    }

    [Theory]
    [InlineData("squeezenet", "squeezenet1.0")]
    [InlineData("ResNet18", "resnet18")]
    [InlineData("bvlc_googlenet", "googlenet")]
    public void Should_Accept_Aliases_And_Any_Case(string alias, string name)
    {
        Assert.True(ModelZoo.Contains(alias));
        using var net = ModelZoo.Create(alias, 5);
        Assert.Equal(name, net.Name);
    }

    [Fact]
    public void Should_Draw_The_Same_Weights_From_The_Same_Seed_Only()
    {
        using var a = ModelZoo.Create("squeezenet1.1", 10, seed: 4);
        using var b = ModelZoo.Create("squeezenet1.1", 10, seed: 4);
        using var c = ModelZoo.Create("squeezenet1.1", 10, seed: 5);
        var wa = a.parameters().First().data<float>().ToArray();
        Assert.Equal(wa, b.parameters().First().data<float>().ToArray());
        Assert.NotEqual(wa, c.parameters().First().data<float>().ToArray());
    }

    [Fact]
    public void Should_Reject_A_Class_Count_Below_One_With_One_Line()
    {
        var e = Assert.Throws<RistrettoException>(() => ModelZoo.Create("cifar10", 0));
        Assert.Contains("at least one class", e.Message);
    }
}
