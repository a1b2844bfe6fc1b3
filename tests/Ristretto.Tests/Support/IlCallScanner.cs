using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Ristretto.Tests.Support;

/// <summary>One call instruction: the calling method, the called method, and the instruction after the call.</summary>
internal sealed record IlCall(string Caller, string Callee, ILOpCode Next);

/// <summary>
/// Reads the IL of every method body in an assembly and lists its calls (call, callvirt, newobj, ldftn), each
/// named <c>Namespace.Type/Nested::Name(parameter types)</c>, the same way for definitions and references, so
/// calls can be matched across assemblies.
/// </summary>
internal sealed class IlCallScanner : IDisposable
{
    private readonly PEReader pe;
    private readonly MetadataReader md;

    public IlCallScanner(string path)
    {
        pe = new PEReader(File.OpenRead(path));
        md = pe.GetMetadataReader();
    }

    public void Dispose() => pe.Dispose();

    /// <summary>Every call instruction in every method body.</summary>
    public IEnumerable<IlCall> Calls()
    {
        foreach (var handle in md.MethodDefinitions)
        {
            var def = md.GetMethodDefinition(handle);
            if (def.RelativeVirtualAddress == 0)
                continue;
            string caller = Name(handle);
            var il = pe.GetMethodBody(def.RelativeVirtualAddress).GetILReader();
            int? pending = null;
            while (il.RemainingBytes > 0)
            {
                var op = ReadOpCode(ref il);
                if (pending is int token)
                {
                    yield return new IlCall(caller, Name(MetadataTokens.EntityHandle(token)), op);
                    pending = null;
                }
                if (op is ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj or ILOpCode.Ldftn or ILOpCode.Ldvirtftn)
                    pending = il.ReadInt32();
                else
                    SkipOperand(ref il, op);
            }
            if (pending is int last)
                yield return new IlCall(caller, Name(MetadataTokens.EntityHandle(last)), ILOpCode.Nop);
        }
    }

    private static ILOpCode ReadOpCode(ref BlobReader il)
    {
        byte b = il.ReadByte();
        return b == 0xFE ? (ILOpCode)(0xFE00 | il.ReadByte()) : (ILOpCode)b;
    }

    private static void SkipOperand(ref BlobReader il, ILOpCode op)
    {
        if (op == ILOpCode.Switch)
        {
            int targets = il.ReadInt32(); // read first: `il.Offset += 4 * il.ReadInt32()` would add to the offset before the count
            il.Offset += 4 * targets;
            return;
        }
        il.Offset += OperandSize(op);
    }

    /// <summary>Operand bytes of every opcode except switch (ECMA-335 partition III).</summary>
    private static int OperandSize(ILOpCode op) => op switch
    {
        ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s or ILOpCode.Ldloca_s
            or ILOpCode.Stloc_s or ILOpCode.Ldc_i4_s or ILOpCode.Unaligned or (ILOpCode)0xFE19 => 1, // 0xFE19: the no. prefix
        >= ILOpCode.Br_s and <= ILOpCode.Blt_un_s => 1,
        ILOpCode.Leave_s => 1,
        ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc => 2,
        ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8 => 8,
        ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 or ILOpCode.Leave => 4,
        >= ILOpCode.Br and <= ILOpCode.Blt_un => 4,
        ILOpCode.Jmp or ILOpCode.Calli or ILOpCode.Cpobj or ILOpCode.Ldobj or ILOpCode.Ldstr or ILOpCode.Castclass
            or ILOpCode.Isinst or ILOpCode.Unbox or ILOpCode.Ldfld or ILOpCode.Ldflda or ILOpCode.Stfld
            or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld or ILOpCode.Stobj or ILOpCode.Box
            or ILOpCode.Newarr or ILOpCode.Ldelema or ILOpCode.Ldelem or ILOpCode.Stelem or ILOpCode.Unbox_any
            or ILOpCode.Refanyval or ILOpCode.Mkrefany or ILOpCode.Ldtoken or ILOpCode.Initobj
            or ILOpCode.Constrained or ILOpCode.Sizeof => 4,
        _ => 0,
    };

    private string Name(EntityHandle handle) => handle.Kind switch
    {
        HandleKind.MethodDefinition => Name((MethodDefinitionHandle)handle),
        HandleKind.MemberReference => Name((MemberReferenceHandle)handle),
        HandleKind.MethodSpecification => Name(md.GetMethodSpecification((MethodSpecificationHandle)handle).Method),
        _ => "?",
    };

    private string Name(MethodDefinitionHandle handle)
    {
        var def = md.GetMethodDefinition(handle);
        var sig = def.DecodeSignature(new TypeNames(), null);
        return $"{TypeName(def.GetDeclaringType())}::{md.GetString(def.Name)}({string.Join(",", sig.ParameterTypes)})";
    }

    private string Name(MemberReferenceHandle handle)
    {
        var member = md.GetMemberReference(handle);
        if (member.GetKind() != MemberReferenceKind.Method)
            return "?";
        var sig = member.DecodeMethodSignature(new TypeNames(), null);
        return $"{ParentName(member.Parent)}::{md.GetString(member.Name)}({string.Join(",", sig.ParameterTypes)})";
    }

    private string ParentName(EntityHandle parent) => parent.Kind switch
    {
        HandleKind.TypeReference => TypeNames.Reference(md, (TypeReferenceHandle)parent),
        HandleKind.TypeDefinition => TypeName((TypeDefinitionHandle)parent),
        HandleKind.TypeSpecification => StripGenericArguments(
            md.GetTypeSpecification((TypeSpecificationHandle)parent).DecodeSignature(new TypeNames(), null)),
        _ => "?",
    };

    private static string StripGenericArguments(string name) => name.Split('<')[0];

    private string TypeName(TypeDefinitionHandle handle) => TypeNames.Definition(md, handle);

    /// <summary>Type names as text; generic instances keep only the generic type's name as the parent of a call.</summary>
    private sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public static string Definition(MetadataReader md, TypeDefinitionHandle handle)
        {
            var t = md.GetTypeDefinition(handle);
            var outer = t.GetDeclaringType();
            string own = md.GetString(t.Name);
            return outer.IsNil ? Qualified(md.GetString(t.Namespace), own) : $"{Definition(md, outer)}/{own}";
        }

        public static string Reference(MetadataReader md, TypeReferenceHandle handle)
        {
            var t = md.GetTypeReference(handle);
            string own = md.GetString(t.Name);
            return t.ResolutionScope.Kind == HandleKind.TypeReference
                ? $"{Reference(md, (TypeReferenceHandle)t.ResolutionScope)}/{own}"
                : Qualified(md.GetString(t.Namespace), own);
        }

        private static string Qualified(string ns, string name) => ns.Length == 0 ? name : $"{ns}.{name}";

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => Definition(reader, handle);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => Reference(reader, handle);
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
            => reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
            => $"{genericType}<{string.Join(",", typeArguments)}>";
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetTypeFromSerializedName(string name) => name;
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;
        public bool IsSystemType(string type) => type == "System.Type";
        public string GetSystemType() => "System.Type";
    }
}
