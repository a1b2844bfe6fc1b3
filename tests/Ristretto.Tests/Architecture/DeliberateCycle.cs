// Two namespaces that use each other, so NamespaceCycleTests can show that its check fails on a cycle.
namespace Ristretto.Tests.Architecture.DeliberateCycle.Left
{
    internal static class Ping
    {
        public static int Next(int n) => n <= 0 ? 0 : Right.Pong.Next(n - 1);
    }
}

namespace Ristretto.Tests.Architecture.DeliberateCycle.Right
{
    internal static class Pong
    {
        public static int Next(int n) => n <= 0 ? 1 : Left.Ping.Next(n - 1);
    }
}
