using System.Reflection;
using System.Reflection.Emit;

namespace Ristretto.Tests.Support;

/// <summary>
/// Which namespaces of an assembly use which others: every type's base type, interfaces, fields, properties,
/// method signatures, locals, attributes and the tokens in its IL (calls, field accesses, casts, <c>typeof</c>),
/// with compiler-generated nested types (lambdas, iterators) counted in their outer type's namespace.
/// </summary>
internal sealed class NamespaceGraph
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
        | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private readonly Dictionary<string, HashSet<string>> _edges = [];
    private readonly Dictionary<(string From, string To), string> _witness = [];

    /// <summary>Reads the types of <paramref name="assemblies"/> whose namespace starts with <paramref name="prefix"/>.</summary>
    public NamespaceGraph(IEnumerable<Assembly> assemblies, string prefix)
    {
        Prefix = prefix;
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.Namespace is not { } ns || !Owned(ns))
                continue;
            _edges.TryAdd(ns, []);
            foreach (var used in Uses(type))
                Add(ns, used, type);
        }
    }

    /// <summary>The namespace prefix read.</summary>
    public string Prefix { get; }

    /// <summary>Namespaces and the ones each uses.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> Edges => _edges;

    /// <summary>A type in <paramref name="from"/> that uses <paramref name="to"/> (for messages).</summary>
    public string Witness(string from, string to) => _witness.GetValueOrDefault((from, to), "?");

    private bool Owned(string ns) => ns == Prefix || ns.StartsWith(Prefix + ".", StringComparison.Ordinal);

    private void Add(string from, Type? used, Type user)
    {
        foreach (var t in Flatten(used))
        {
            if (t.Namespace is not { } to || to == from || !Owned(to))
                continue;
            _edges[from].Add(to);
            _witness.TryAdd((from, to), $"{user.FullName} uses {t.FullName}");
        }
    }

    private static IEnumerable<Type> Flatten(Type? t)
    {
        if (t == null || t.IsGenericParameter)
            yield break;
        if (t.HasElementType)
        {
            foreach (var e in Flatten(t.GetElementType()))
                yield return e;
            yield break;
        }
        yield return t.IsGenericType ? t.GetGenericTypeDefinition() : t;
        if (t.IsGenericType)
            foreach (var a in t.GetGenericArguments())
                foreach (var e in Flatten(a))
                    yield return e;
    }

    private static IEnumerable<Type?> Uses(Type type)
    {
        yield return type.BaseType;
        foreach (var i in type.GetInterfaces())
            yield return i;
        foreach (var a in type.GetCustomAttributesData())
            yield return a.AttributeType;
        foreach (var f in type.GetFields(All))
            yield return f.FieldType;
        foreach (var p in type.GetProperties(All))
            yield return p.PropertyType;
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi)
                yield return mi.ReturnType;
            foreach (var p in m.GetParameters())
                yield return p.ParameterType;
            foreach (var a in m.GetCustomAttributesData())
                yield return a.AttributeType;
            foreach (var t in BodyUses(type, m))
                yield return t;
        }
    }

    private static IEnumerable<Type?> BodyUses(Type type, MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body == null)
            yield break;
        foreach (var local in body.LocalVariables)
            yield return local.LocalType;
        var il = body.GetILAsByteArray() ?? [];
        var typeArgs = type.IsGenericTypeDefinition ? type.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethodDefinition ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            if (!OpCodesByValue.TryGetValue(value, out var op))
                yield break;
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    MemberInfo? member = null;
                    try { member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                    catch (ArgumentException) { }
                    catch (TypeLoadException) { }
                    switch (member)
                    {
                        case Type t: yield return t; break;
                        case FieldInfo f: yield return f.DeclaringType; yield return f.FieldType; break;
                        case MethodBase m:
                            yield return m.DeclaringType;
                            if (m is MethodInfo { IsGenericMethod: true } g)
                                foreach (var a in g.GetGenericArguments())
                                    yield return a;
                            break;
                    }
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                default:
                    i += op.OperandType switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        _ => 4,
                    };
                    break;
            }
        }
    }

    /// <summary>Every cycle, one per strongly connected group of namespaces, as "A → B → … → A" with a witness per step.</summary>
    public IReadOnlyList<string> Cycles()
    {
        var result = new List<string>();
        foreach (var group in StronglyConnected().Where(g => g.Count > 1))
        {
            var members = group.ToHashSet();
            // One concrete loop through the group: walk from its first member, always to a member, until a repeat.
            var path = new List<string> { group[0] };
            while (true)
            {
                string next = _edges[path[^1]].Where(members.Contains).Order(StringComparer.Ordinal).First();
                int seen = path.IndexOf(next);
                if (seen >= 0)
                {
                    var loop = path.Skip(seen).Append(next).ToList();
                    var steps = loop.Zip(loop.Skip(1), (a, b) => $"  {a} → {b}: {Witness(a, b)}");
                    result.Add($"{string.Join(" → ", loop)} (group: {string.Join(", ", group.Order(StringComparer.Ordinal))})\n{string.Join("\n", steps)}");
                    break;
                }
                path.Add(next);
            }
        }
        return result;
    }

    private List<List<string>> StronglyConnected()
    {
        // Tarjan's algorithm.
        int index = 0;
        var indices = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var groups = new List<List<string>>();
        void Visit(string v)
        {
            indices[v] = low[v] = index++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in _edges.GetValueOrDefault(v, []))
            {
                if (!_edges.ContainsKey(w))
                    continue;
                if (!indices.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                    low[v] = Math.Min(low[v], indices[w]);
            }
            if (low[v] != indices[v])
                return;
            var group = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                group.Add(x);
            } while (x != v);
            groups.Add(group);
        }
        foreach (var v in _edges.Keys.Order(StringComparer.Ordinal))
            if (!indices.ContainsKey(v))
                Visit(v);
        return groups;
    }
}
