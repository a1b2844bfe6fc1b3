// The oneDNN NaN reproduction without .NET: LeNet (Caffe's lenet_train_test) trained on MNIST through
// LibTorchSharp's exported C functions only (the libLibTorchSharp.so that TorchSharp-cpu ships; the NuGet
// libtorch has no C++ headers). No .NET runtime, no garbage collector, no finalizers: parameters, inputs and
// the SGD update live in plain C arrays. Prints every non-finite loss, recomputes it, names the first
// non-finite blob, and counts losses that differ bit for bit between two identical forward passes.
//
// REPRO_FILL=junk (c10's allocator fills new buffers with a NaN pattern) makes a read of unwritten memory show at
// once; REPRO_FILL=zero (zero-filled buffers) is the workaround being tested.
// Usage: lenet_repro MNIST_DIR [iterations=500] [mkldnn=1] [threads=0 (libtorch's default)] [seed=2]
//        lenet_repro conv IC OC [mkldnn=1] [grad=0] [batch=64] [side=12]   (one convolution, 5×5 kernel)
// Build and run: tools/onednn-repro/run.sh (see README.md beside this file).

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *Tensor;

// LibTorchSharp (TorchSharp 0.107.0, src/Native/LibTorchSharp/THSTensor.h, THSNN.h, THSTorch.h).
extern Tensor THSTensor_new(void *data, void (*deleter)(void *), const int64_t *sizes, int32_t szlength,
                            int8_t scalar_type, int8_t dtype, int32_t device_type, int32_t device_index, bool requires_grad);
extern Tensor THSTensor_conv2d(Tensor input, Tensor weight, Tensor bias, const int64_t *strides, int32_t strides_length,
                               const int64_t *paddings, int32_t paddings_length, const int64_t *dilations,
                               int32_t dilations_length, int64_t groups);
extern Tensor THSTensor_max_pool2d(Tensor tensor, const int64_t *kernel, int32_t kernel_length, const int64_t *stride,
                                   int32_t stride_length, const int64_t *padding, int32_t padding_length,
                                   const int64_t *dilation, int32_t dilation_length, bool ceil_mode);
extern Tensor THSTensor_reshape(Tensor tensor, const int64_t *shape, int32_t length);
extern Tensor THSNN_functional_linear(Tensor input, Tensor weights, Tensor bias);
extern Tensor THSTensor_relu(Tensor tensor);
extern Tensor THSNN_cross_entropy(Tensor input, Tensor target, Tensor weight, int64_t ignore_index, bool has_ii,
                                  int64_t reduction, double smoothing);
extern Tensor THSTensor_contiguous(Tensor tensor);
extern void THSTensor_backward(Tensor tensor);
extern Tensor THSTensor_grad(Tensor tensor);
extern void THSTensor_set_grad(Tensor tensor, Tensor grad);
extern void *THSTensor_data(Tensor tensor);
extern int64_t THSTensor_numel(Tensor tensor);
extern void THSTensor_dispose(Tensor tensor);
extern int32_t THSTorch_get_num_threads(void);
extern void THSTorch_set_num_threads(int32_t threads);
extern const char *THSTorch_get_and_reset_last_err(void);

// libtorch_cpu: at::globalContext() and at::Context::setUserEnabledMkldnn(bool) / userEnabledMkldnn() (Itanium ABI).
extern void *_ZN2at13globalContextEv(void);
extern void _ZN2at7Context20setUserEnabledMkldnnEb(void *context, bool enabled);
extern bool _ZNK2at7Context17userEnabledMkldnnEv(void *context);

// libc10: c10::alloc_cpu fills every new CPU tensor buffer with zeros / a NaN junk pattern when these are set.
extern bool FLAGS_caffe2_cpu_allocator_do_zero_fill;
extern bool FLAGS_caffe2_cpu_allocator_do_junk_fill;

// REPRO_FILL=zero|junk sets c10's allocator fill before any tensor exists.
static const char *set_fill(void)
{
    const char *fill = getenv("REPRO_FILL");
    if (fill && strcmp(fill, "zero") == 0)
        FLAGS_caffe2_cpu_allocator_do_zero_fill = true;
    else if (fill && strcmp(fill, "junk") == 0)
        FLAGS_caffe2_cpu_allocator_do_junk_fill = true;
    else
        fill = "none";
    return fill;
}

enum { Float32 = 6, Int64 = 4, Batch = 64, Side = 28, Pixels = Side * Side, Classes = 10 };

static void check(const void *result, const char *what)
{
    const char *err = THSTorch_get_and_reset_last_err();
    if (result == NULL || err != NULL) {
        fprintf(stderr, "error: %s: %s\n", what, err ? err : "null result");
        exit(1);
    }
}

static void keep(void *data) { (void)data; }

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state) { return (double)(splitmix(state) >> 11) * (1.0 / 9007199254740992.0); }

static unsigned char *read_idx(const char *dir, const char *name, long header, long *count)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "error: cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size);
    if (fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "error: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    *count = (long)((uint32_t)bytes[4] << 24 | (uint32_t)bytes[5] << 16 | (uint32_t)bytes[6] << 8 | bytes[7]);
    (void)header;
    return bytes;
}

typedef struct {
    const char *name;
    int64_t shape[4];
    int rank;
    long count;
    double lr_mult;
    float *w, *v;
    Tensor t;
} Param;

static void make_param(Param *p, const char *name, int rank, const int64_t *shape, bool xavier, double lr_mult, uint64_t *rng)
{
    p->name = name;
    p->rank = rank;
    p->count = 1;
    for (int i = 0; i < rank; i++) {
        p->shape[i] = shape[i];
        p->count *= shape[i];
    }
    p->lr_mult = lr_mult;
    p->w = aligned_alloc(64, (size_t)((p->count * 4 + 63) / 64 * 64));
    p->v = calloc((size_t)p->count, sizeof(float));
    double a = sqrt(3.0 / (double)(p->count / shape[0])); // Caffe's xavier filler: uniform ±sqrt(3 / fan_in)
    for (long i = 0; i < p->count; i++)
        p->w[i] = xavier ? (float)((uniform(rng) * 2 - 1) * a) : 0.0f;
    p->t = THSTensor_new(p->w, keep, p->shape, rank, Float32, Float32, 0, 0, true);
    check(p->t, name);
}

typedef struct {
    Tensor conv1, pool1, conv2, pool2, flat, ip1, relu1, ip2, loss;
} Pass;

static const int64_t One[2] = {1, 1}, Zero[2] = {0, 0}, Two[2] = {2, 2};

static Pass forward(Param *p, Tensor x, Tensor y)
{
    Pass s;
    s.conv1 = THSTensor_conv2d(x, p[0].t, p[1].t, One, 2, Zero, 2, One, 2, 1);
    check(s.conv1, "conv1");
    s.pool1 = THSTensor_max_pool2d(s.conv1, Two, 2, Two, 2, Zero, 2, One, 2, true);
    check(s.pool1, "pool1");
    s.conv2 = THSTensor_conv2d(s.pool1, p[2].t, p[3].t, One, 2, Zero, 2, One, 2, 1);
    check(s.conv2, "conv2");
    s.pool2 = THSTensor_max_pool2d(s.conv2, Two, 2, Two, 2, Zero, 2, One, 2, true);
    check(s.pool2, "pool2");
    const int64_t flat[2] = {Batch, 800};
    s.flat = THSTensor_reshape(s.pool2, flat, 2);
    check(s.flat, "flatten");
    s.ip1 = THSNN_functional_linear(s.flat, p[4].t, p[5].t);
    check(s.ip1, "ip1");
    s.relu1 = THSTensor_relu(s.ip1);
    check(s.relu1, "relu1");
    s.ip2 = THSNN_functional_linear(s.relu1, p[6].t, p[7].t);
    check(s.ip2, "ip2");
    s.loss = THSNN_cross_entropy(s.ip2, y, NULL, -100, false, 1, 0.0);
    check(s.loss, "loss");
    return s;
}

static void dispose(Pass *s)
{
    Tensor all[] = {s->conv1, s->pool1, s->conv2, s->pool2, s->flat, s->ip1, s->relu1, s->ip2, s->loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        THSTensor_dispose(all[i]);
}

static bool finite_tensor(Tensor t)
{
    Tensor c = THSTensor_contiguous(t);
    check(c, "contiguous");
    const float *d = THSTensor_data(c);
    int64_t n = THSTensor_numel(c);
    bool ok = true;
    for (int64_t i = 0; i < n && ok; i++)
        ok = isfinite(d[i]);
    THSTensor_dispose(c);
    return ok;
}

static const char *first_non_finite(const Pass *s)
{
    const Tensor blobs[] = {s->conv1, s->pool1, s->conv2, s->pool2, s->ip1, s->relu1, s->ip2, s->loss};
    const char *names[] = {"conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2", "loss"};
    for (int i = 0; i < 8; i++)
        if (!finite_tensor(blobs[i]))
            return names[i];
    return "none";
}

// On the first bad iteration: are conv2's inputs (pool1) and weights bitwise the same in the bad and the good pass,
// where do the NaNs lie (batch items, channels), and where do the buffers lie in memory.
static void diagnose(const Pass *bad, const Pass *good)
{
    Tensor a = THSTensor_contiguous(bad->pool1), b = THSTensor_contiguous(good->pool1);
    int64_t n = THSTensor_numel(a);
    bool same_input = memcmp(THSTensor_data(a), THSTensor_data(b), (size_t)n * sizeof(float)) == 0;
    THSTensor_dispose(a);
    THSTensor_dispose(b);
    Tensor c = THSTensor_contiguous(bad->conv2), d = THSTensor_contiguous(good->conv2);
    const float *x = THSTensor_data(c), *y = THSTensor_data(d);
    enum { C = 50, HW = 64 };
    int items[Batch] = {0}, channels[C] = {0}, nan = 0, differ = 0;
    for (int i = 0; i < Batch * C * HW; i++) {
        if (!isfinite(x[i])) {
            nan++;
            items[i / (C * HW)]++;
            channels[i / HW % C]++;
        } else if (memcmp(&x[i], &y[i], sizeof(float)) != 0)
            differ++;
    }
    printf("  diagnosis: conv2 inputs (pool1) bitwise equal in both passes: %s; conv2 outputs: %d non-finite of %d, %d finite ones differ from the good pass\n",
           same_input ? "yes" : "no", nan, Batch * C * HW, differ);
    printf("  non-finite per batch item:");
    for (int i = 0; i < Batch; i++)
        if (items[i])
            printf(" %d:%d", i, items[i]);
    printf("\n  non-finite per channel:");
    for (int i = 0; i < C; i++)
        if (channels[i])
            printf(" %d:%d", i, channels[i]);
    printf("\n  buffers: bad pass pool1 %p conv2 %p; good pass pool1 %p conv2 %p\n", THSTensor_data(bad->pool1), THSTensor_data(bad->conv2),
           THSTensor_data(good->pool1), THSTensor_data(good->conv2));
    THSTensor_dispose(c);
    THSTensor_dispose(d);
}

static float loss_of(const Pass *s) { return *(const float *)THSTensor_data(s->loss); }

// One convolution on fixed finite data: BATCH images (64 unless given), IC→OC channels, SIDE×SIDE input (12 unless
// given), 5×5 kernel (conv2's shape when IC=20, OC=50). Prints how many outputs are non-finite and the largest
// difference from ATen's own kernel on the same data.
static int conv_only(int ic, int oc, bool mkldnn, bool grad, int batch, int side)
{
    void *context = _ZN2at13globalContextEv();
    int out = side - 4;
    int64_t xs[4] = {batch, ic, side, side}, ws[4] = {oc, ic, 5, 5}, bs[1] = {oc};
    long nx = (long)batch * ic * side * side, nw = (long)oc * ic * 25;
    float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *b = calloc((size_t)oc, 4);
    uint64_t rng = 7;
    for (long i = 0; i < nx; i++)
        x[i] = (float)uniform(&rng);
    for (long i = 0; i < nw; i++)
        w[i] = (float)(uniform(&rng) - 0.5) * 0.1f;
    Tensor tx = THSTensor_new(x, keep, xs, 4, Float32, Float32, 0, 0, false);
    Tensor tw = THSTensor_new(w, keep, ws, 4, Float32, Float32, 0, 0, grad);
    Tensor tb = THSTensor_new(b, keep, bs, 1, Float32, Float32, 0, 0, grad);
    float *results[2];
    for (int k = 0; k < 2; k++) {
        _ZN2at7Context20setUserEnabledMkldnnEb(context, k == 0 ? mkldnn : false);
        Tensor y = THSTensor_conv2d(tx, tw, tb, One, 2, Zero, 2, One, 2, 1);
        check(y, "conv");
        Tensor c = THSTensor_contiguous(y);
        results[k] = malloc((size_t)batch * oc * out * out * 4);
        memcpy(results[k], THSTensor_data(c), (size_t)batch * oc * out * out * 4);
        THSTensor_dispose(c);
        THSTensor_dispose(y);
    }
    long n = (long)batch * oc * out * out, bad = 0;
    double diff = 0;
    for (long i = 0; i < n; i++) {
        bad += !isfinite(results[0][i]);
        diff = fmax(diff, fabs((double)results[0][i] - results[1][i]));
    }
    printf("conv %d→%d channels, batch %d, %d×%d, oneDNN %s, %s: %ld of %ld outputs non-finite; max |difference| from ATen's kernel %g\n", ic, oc,
           batch, side, side, mkldnn ? "on" : "off", grad ? "weights require grad" : "no grad", bad, n, diff);
    return bad > 0 ? 3 : 0;
}

int main(int argc, char **argv)
{
    const char *fill = set_fill();
    printf("c10 allocator fill: %s\n", fill);
    if (argc >= 4 && strcmp(argv[1], "conv") == 0)
        return conv_only(atoi(argv[2]), atoi(argv[3]), argc > 4 ? atoi(argv[4]) != 0 : true, argc > 5 && atoi(argv[5]) != 0,
                         argc > 6 ? atoi(argv[6]) : Batch, argc > 7 ? atoi(argv[7]) : 12);
    if (argc < 2) {
        fprintf(stderr, "usage: %s MNIST_DIR [iterations=500] [mkldnn=1] [threads=0] [seed=2]\n", argv[0]);
        return 2;
    }
    int iterations = argc > 2 ? atoi(argv[2]) : 500;
    bool mkldnn = argc > 3 ? atoi(argv[3]) != 0 : true;
    int threads = argc > 4 ? atoi(argv[4]) : 0;
    uint64_t seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 2;

    long n_images, n_labels;
    unsigned char *images = read_idx(argv[1], "train-images-idx3-ubyte", 16, &n_images);
    unsigned char *labels = read_idx(argv[1], "train-labels-idx1-ubyte", 8, &n_labels);

    void *context = _ZN2at13globalContextEv();
    _ZN2at7Context20setUserEnabledMkldnnEb(context, mkldnn);
    if (threads > 0)
        THSTorch_set_num_threads(threads);
    printf("oneDNN %s; %d intra-op threads; %d iterations; seed %" PRIu64 "; ONEDNN_MAX_CPU_ISA=%s\n",
           _ZNK2at7Context17userEnabledMkldnnEv(context) ? "on" : "off", THSTorch_get_num_threads(), iterations, seed,
           getenv("ONEDNN_MAX_CPU_ISA") ? getenv("ONEDNN_MAX_CPU_ISA") : "(unset)");

    uint64_t rng = seed;
    Param p[8];
    make_param(&p[0], "conv1.weight", 4, (int64_t[]){20, 1, 5, 5}, true, 1, &rng);
    make_param(&p[1], "conv1.bias", 1, (int64_t[]){20}, false, 2, &rng);
    make_param(&p[2], "conv2.weight", 4, (int64_t[]){50, 20, 5, 5}, true, 1, &rng);
    make_param(&p[3], "conv2.bias", 1, (int64_t[]){50}, false, 2, &rng);
    make_param(&p[4], "ip1.weight", 2, (int64_t[]){500, 800}, true, 1, &rng);
    make_param(&p[5], "ip1.bias", 1, (int64_t[]){500}, false, 2, &rng);
    make_param(&p[6], "ip2.weight", 2, (int64_t[]){Classes, 500}, true, 1, &rng);
    make_param(&p[7], "ip2.bias", 1, (int64_t[]){Classes}, false, 2, &rng);

    float *xs = aligned_alloc(64, Batch * Pixels * sizeof(float));
    int64_t *ys = aligned_alloc(64, Batch * sizeof(int64_t));
    const int64_t xshape[4] = {Batch, 1, Side, Side}, yshape[1] = {Batch};
    int bad = 0, repeated = 0, unequal = 0;
    for (int t = 0; t < iterations; t++) {
        for (int b = 0; b < Batch; b++) {
            long i = (long)(splitmix(&rng) % (uint64_t)n_images);
            for (int k = 0; k < Pixels; k++)
                xs[b * Pixels + k] = images[16 + i * Pixels + k] * 0.00390625f;
            ys[b] = labels[8 + i];
        }
        Tensor x = THSTensor_new(xs, keep, xshape, 4, Float32, Float32, 0, 0, false);
        Tensor y = THSTensor_new(ys, keep, yshape, 1, Int64, Int64, 0, 0, false);
        check(x, "input");
        check(y, "labels");

        // Two identical forward passes: the first is only compared, the second is trained on.
        Pass first = forward(p, x, y);
        float l1 = loss_of(&first);
        dispose(&first);
        Pass s = forward(p, x, y);
        float loss = loss_of(&s);
        if (memcmp(&l1, &loss, sizeof loss) != 0)
            unequal++;
        if (!isfinite(loss) || !isfinite(l1)) {
            bad++;
            Pass again = forward(p, x, y);
            bool still = !isfinite(loss_of(&again));
            repeated += still;
            printf("iteration %d: losses %g and %g; recomputed: %s; first non-finite blob: %s (of the trained pass), %s (of the recomputation)\n",
                   t + 1, l1, loss, still ? "non-finite again" : "finite", first_non_finite(&s), first_non_finite(&again));
            if (bad == 1 && !still)
                diagnose(&s, &again);
            dispose(&again);
            dispose(&s);
            THSTensor_dispose(x);
            THSTensor_dispose(y);
            continue; // no update from a non-finite loss, as the trainer does
        }
        THSTensor_backward(s.loss);
        check((void *)1, "backward");
        // Caffe's SGD: lr = 0.01·(1 + 1e-4·t)^-0.75; g ← ∇ + 5e-4·w; v ← 0.9·v + lr·mult·g; w ← w − v.
        double lr = 0.01 * pow(1 + 1e-4 * t, -0.75);
        for (int k = 0; k < 8; k++) {
            Tensor g = THSTensor_grad(p[k].t);
            check(g, "grad");
            Tensor gc = THSTensor_contiguous(g);
            const float *gd = THSTensor_data(gc);
            float rate = (float)(lr * p[k].lr_mult);
            for (long i = 0; i < p[k].count; i++) {
                float gi = gd[i] + 5e-4f * p[k].w[i];
                p[k].v[i] = 0.9f * p[k].v[i] + rate * gi;
                p[k].w[i] -= p[k].v[i];
            }
            THSTensor_dispose(gc);
            THSTensor_dispose(g);
            THSTensor_set_grad(p[k].t, NULL);
        }
        if ((t + 1) % 100 == 0)
            printf("iteration %d: loss %.4f\n", t + 1, loss);
        dispose(&s);
        THSTensor_dispose(x);
        THSTensor_dispose(y);
    }
    printf("non-finite losses: %d of %d iterations (%d repeated on recomputation); %d of %d loss pairs from identical passes differ\n",
           bad, iterations, repeated, unequal, iterations);
    return bad > 0 ? 3 : 0;
}
