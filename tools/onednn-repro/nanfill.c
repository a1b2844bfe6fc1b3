// LD_PRELOAD shim for the oneDNN NaN reproduction: every posix_memalign block (libtorch's CPU allocator,
// c10::alloc_cpu, allocates tensors and oneDNN scratchpads with it) comes back filled with 0xFF bytes, a NaN
// bit pattern, instead of whatever the heap held. A kernel that reads memory it did not write then gives NaN at
// once and every time, instead of now and then.
// Build: gcc -O2 -shared -fPIC -o nanfill.so nanfill.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

int posix_memalign(void **out, size_t alignment, size_t size)
{
    static int (*real)(void **, size_t, size_t);
    if (!real)
        real = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    int rc = real(out, alignment, size);
    if (rc == 0 && *out)
        memset(*out, 0xFF, size);
    return rc;
}
