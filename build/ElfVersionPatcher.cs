// Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK) in its
// .gnu.version_r section, so that the dynamic loader accepts a system library lacking that version.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so asks libstdc++ for GLIBCXX_3.4.32, which Debian 12 and
// Ubuntu 22.04 lack. The only symbol behind it, std::ios_base_library_init(), is never called, so a
// weak requirement is safe. The build patches the copy in its output folder, never the NuGet cache;
// the dotnet tool package's copy is patched whatever the packing machine has (docs/packaging.md).
//
// This file is compiled twice: into the MSBuild inline task (build/LibTorchSharpPatch.targets, also
// shipped in the Ristretto package's buildTransitive/) and into the tests. The inline task compiles
// against .NET Standard 2.0, so only APIs from there are used.
#nullable enable
using System;
using System.IO;
using System.Text;

namespace Ristretto.Build
{
    /// <summary>Reads and edits the version-needs section (.gnu.version_r) of an ELF64 little-endian file.</summary>
    public static class ElfVersionPatcher
    {
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlagWeak = 0x2;

        /// <summary>Outcome of <see cref="MarkWeak"/>.</summary>
        public enum Result
        {
            /// <summary>The requirement was strong and is now weak.</summary>
            Patched,
            /// <summary>The requirement was already weak; the file is unchanged.</summary>
            AlreadyWeak,
            /// <summary>The file does not require that version; the file is unchanged.</summary>
            NotRequired,
        }

        /// <summary>
        /// Marks every requirement of <paramref name="version"/> (e.g. "GLIBCXX_3.4.32") in <paramref name="path"/>
        /// as weak. The file is rewritten through a temporary file and a rename.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is not a well-formed ELF64 little-endian object.</exception>
        public static Result MarkWeak(string path, string version)
        {
            byte[] image = File.ReadAllBytes(path);
            Result result = MarkWeak(image, version);
            if (result == Result.Patched)
            {
                string temp = path + ".patching";
                File.WriteAllBytes(temp, image);
                // A rename replaces the directory entry: a hard-linked original (e.g. the NuGet cache) is not modified.
                File.Replace(temp, path, null);
            }
            return result;
        }

        /// <summary>In-memory form of <see cref="MarkWeak(string, string)"/>.</summary>
        public static Result MarkWeak(byte[] image, string version)
        {
            bool found = false, changed = false;
            foreach (int flagsOffset in FindRequirementFlags(image, version))
            {
                found = true;
                ushort flags = ReadU16(image, flagsOffset);
                if ((flags & VerFlagWeak) == 0)
                {
                    WriteU16(image, flagsOffset, (ushort)(flags | VerFlagWeak));
                    changed = true;
                }
            }
            return !found ? Result.NotRequired : changed ? Result.Patched : Result.AlreadyWeak;
        }

        /// <summary>True when the file requires <paramref name="version"/> with the weak flag set.</summary>
        public static bool IsWeak(byte[] image, string version)
        {
            bool any = false;
            foreach (int flagsOffset in FindRequirementFlags(image, version))
            {
                any = true;
                if ((ReadU16(image, flagsOffset) & VerFlagWeak) == 0)
                    return false;
            }
            return any;
        }

        /// <summary>True when a file (typically the system libstdc++) defines the version string.</summary>
        public static bool FileMentionsVersion(string path, string version)
        {
            byte[] data = File.ReadAllBytes(path);
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            for (int i = 0; i + needle.Length <= data.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && data[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        /// <summary>Offsets of the vna_flags field of every Vernaux entry naming <paramref name="version"/>.</summary>
        private static System.Collections.Generic.List<int> FindRequirementFlags(byte[] image, string version)
        {
            var offsets = new System.Collections.Generic.List<int>();
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (image[4] != 2 || image[5] != 1)
                throw new InvalidDataException("only ELF64 little-endian files are supported");

            long shoff = (long)ReadU64(image, 0x28);
            int shentsize = ReadU16(image, 0x3A);
            int shnum = ReadU16(image, 0x3C);
            if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > image.Length)
                throw new InvalidDataException("section header table lies outside the file");

            for (int i = 0; i < shnum; i++)
            {
                int sh = checked((int)(shoff + (long)i * shentsize));
                if (ReadU32(image, sh + 4) != ShtGnuVerneed)
                    continue;
                int offset = checked((int)ReadU64(image, sh + 0x18));
                int link = (int)ReadU32(image, sh + 0x28);
                int entries = (int)ReadU32(image, sh + 0x2C); // sh_info: number of Verneed entries
                if (link >= shnum)
                    throw new InvalidDataException("version section links to a missing string table");
                int strtab = checked((int)ReadU64(image, checked((int)(shoff + (long)link * shentsize)) + 0x18));

                int need = offset;
                for (int n = 0; n < entries; n++)
                {
                    int count = ReadU16(image, need + 2);
                    int aux = need + (int)ReadU32(image, need + 8);
                    for (int a = 0; a < count; a++)
                    {
                        string name = ReadCString(image, strtab + (int)ReadU32(image, aux + 8));
                        if (name == version)
                            offsets.Add(aux + 4);
                        int nextAux = (int)ReadU32(image, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    int next = (int)ReadU32(image, need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return offsets;
        }

        private static string ReadCString(byte[] image, int offset)
        {
            if (offset < 0 || offset >= image.Length)
                throw new InvalidDataException("string offset lies outside the file");
            int end = Array.IndexOf(image, (byte)0, offset);
            if (end < 0) throw new InvalidDataException("unterminated string");
            return Encoding.ASCII.GetString(image, offset, end - offset);
        }

        private static ushort ReadU16(byte[] b, int o) => CheckRange(b, o, 2) ? (ushort)(b[o] | (b[o + 1] << 8)) : (ushort)0;
        private static uint ReadU32(byte[] b, int o) => CheckRange(b, o, 4) ? BitConverter.ToUInt32(b, o) : 0;
        private static ulong ReadU64(byte[] b, int o) => CheckRange(b, o, 8) ? BitConverter.ToUInt64(b, o) : 0;

        private static void WriteU16(byte[] b, int o, ushort v)
        {
            CheckRange(b, o, 2);
            b[o] = (byte)v;
            b[o + 1] = (byte)(v >> 8);
        }

        private static bool CheckRange(byte[] b, int o, int size)
        {
            if (o < 0 || o > b.Length - size)
                throw new InvalidDataException("ELF structure points outside the file");
            return true;
        }
    }

#if !RISTRETTO_NO_MSBUILD_TASK
    /// <summary>
    /// MSBuild task: in <see cref="Directory"/>, marks libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak
    /// when the system libstdc++ lacks that version. Does nothing on other systems or where it is present,
    /// unless <see cref="Always"/> is set (a package is built for machines other than the one that packs it).
    /// </summary>
    public sealed class PatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        /// <summary>Version whose requirement is made weak.</summary>
        public const string Version = "GLIBCXX_3.4.32";

        /// <summary>The build or publish output folder.</summary>
        [Microsoft.Build.Framework.Required]
        public string Directory { get; set; } = "";

        /// <summary>
        /// Patch whatever this machine's libstdc++ provides, on any build OS: for a package's copy, which runs where
        /// no MSBuild runs (an installed dotnet tool). A weak requirement changes nothing where the version exists.
        /// </summary>
        public bool Always { get; set; }

        /// <inheritdoc />
        public override bool Execute()
        {
            if (!System.IO.Directory.Exists(Directory)
                || (!Always && !System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux)))
                return true;
            string[] libraries = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
            if (libraries.Length == 0)
                return true;
            string? libstdcxx = Always ? null : FindSystemLibStdCxx();
            if (libstdcxx != null && ElfVersionPatcher.FileMentionsVersion(libstdcxx, Version))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"{libstdcxx} provides {Version}; libLibTorchSharp.so left as shipped.");
                return true;
            }
            foreach (string library in libraries)
            {
                ElfVersionPatcher.Result result = ElfVersionPatcher.MarkWeak(library, Version);
                if (result == ElfVersionPatcher.Result.Patched)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        $"Marked {Version} weak in {library} ({(Always ? "a packaged copy, for any libstdc++" : "system libstdc++ lacks it")}).");
            }
            return !Log.HasLoggedErrors;
        }

        private static string? FindSystemLibStdCxx()
        {
            string[] candidates =
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
                "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6",
                "/usr/lib/libstdc++.so.6",
            };
            foreach (string candidate in candidates)
                if (File.Exists(candidate))
                    return candidate;
            return null;
        }
    }
#endif
}
