using NUnit.Framework;
using TrainingGen.CoreML.Mil;

namespace TrainingGen.Tests;

public class MilTextPrinterTests
{
    [Test]
    public void Prints_a_function_like_model_mil()
    {
        var b = new MilFunctionBuilder("main", "CoreML8");
        var x = b.Input("x", MilDType.Float32, 2, 3);
        var w = b.Const(MilTensor.Float32(new[] { 1, 3 }, new[] { 0.5f, -1f, 2f }), "w");
        var y = b.MatMul(x, w, transposeY: true, name: "y");
        b.Output(y);
        var program = new MilProgram();
        program.Functions.Add(b.Build());

        Assert.That(MilTextPrinter.Print(program), Is.EqualTo(
            "program(1.0)\n" +
            "{\n" +
            "    func main<ios18>(tensor<fp32, [2, 3]> x) {\n" +
            "            tensor<fp32, [1, 3]> w = const()[name = string(\"w\"), val = tensor<fp32, [1, 3]>([0.5, -1.0, 2.0])];\n" +
            "            bool y_transpose_x = const()[name = string(\"y_transpose_x\"), val = bool(false)];\n" +
            "            bool y_transpose_y = const()[name = string(\"y_transpose_y\"), val = bool(true)];\n" +
            "            tensor<fp32, [2, 1]> y = matmul(x = x, y = w, transpose_x = y_transpose_x, transpose_y = y_transpose_y)[name = string(\"y\")];\n" +
            "        } -> (y);\n" +
            "}\n"));
    }

    [Test]
    public void Large_constants_are_summarised_and_targets_follow_the_opset()
    {
        var b = new MilFunctionBuilder("embed", "CoreML7");
        var t = b.Const(MilTensor.Float32(new[] { 12 }, new float[12]), "table");
        b.Output(t);
        var text = MilTextPrinter.Print(b.Build());
        Assert.That(text, Does.StartWith("    func embed<ios17>() {"));
        Assert.That(text, Does.Contain("val = tensor<fp32, [12]>(/* 12 values in weight.bin */)"));
    }
}
