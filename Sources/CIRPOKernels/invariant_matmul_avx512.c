/* The batch-invariant decode product with AVX-512 (see irpo_kernels.h and the Swift
 * InvariantMatmul, whose results this reproduces bit for bit: one 16-lane register holds the
 * 16 chains of a panel that the Swift kernel keeps in two 8-lane registers). */

#include "irpo_kernels.h"

/* Every multiply and add is written as its own intrinsic; none may be fused behind our back. */
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <cpuid.h>
#include "avx512_tile.h"

#define PANEL IRPO_PANEL

int irpo_avx512_usable(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned osxsave = 1u << 27, fma = 1u << 12;
    if (!(c & osxsave) || !(c & fma)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    /* XMM, YMM, opmask, upper ZMM and high ZMM state enabled by the OS. */
    if ((lo & 0xE6u) != 0xE6u) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned avx2 = 1u << 5, f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return (b & avx2) && (b & f) && (b & dq) && (b & bw) && (b & vl);
}

/* R rows of x against P consecutive panels (R * P <= 24 accumulators). `first_output` is the
 * first output of the first panel; y points at row 0, column 0. Inlined with constant R and P,
 * so the loops unroll and the accumulators stay in registers. The first `prefetch_lines` k
 * steps also ask for one 64-byte line at `prefetch` (+64 per step) to be brought into L2.
 * Prefetching changes no result. */
static inline __attribute__((always_inline)) IRPO_AVX512 void tile(
    const int R, const int P, float *y, const float *x, const float *panels,
    ptrdiff_t first_output, ptrdiff_t outputs, ptrdiff_t inner, int accumulate,
    const char *prefetch, ptrdiff_t prefetch_lines)
{
    __m512 c[8][8];
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) c[r][p] = _mm512_setzero_ps();
    const ptrdiff_t stride = PANEL * inner;
    for (ptrdiff_t k = 0; k < inner; k++) {
        __m512 b[8];
        for (int p = 0; p < P; p++) b[p] = _mm512_loadu_ps(panels + p * stride + k * PANEL);
        if (k < prefetch_lines) _mm_prefetch(prefetch + 64 * k, _MM_HINT_T1);
        irpo_tile_step(R, P, c, b, x, inner, k);
    }
    irpo_tile_store(R, P, c, y, first_output, outputs, accumulate);
}

/* Every row against P panels starting at `panel`. */
static inline __attribute__((always_inline)) IRPO_AVX512 void panel_group(
    const int P, float *y, const float *x, const float *packed, ptrdiff_t first_panel, ptrdiff_t panel,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate, ptrdiff_t next_panels)
{
    const float *panels = packed + (panel - first_panel) * PANEL * inner;
    const ptrdiff_t n0 = panel * PANEL;
    /* The next group's panels follow these; each row tile fetches its share of them into L2,
     * so the group after this one does not wait on memory. */
    const ptrdiff_t lines = next_panels * PANEL * inner * 4 / 64;
    const ptrdiff_t tiles = (rows + 7) / 8;
    const ptrdiff_t share = (lines + tiles - 1) / tiles;
    const char *next = (const char *)(panels + P * PANEL * inner);
    ptrdiff_t m = 0, t = 0;
#define PF(t) next + (t) * share * 64, (share < lines - (t) * share ? share : (lines - (t) * share > 0 ? lines - (t) * share : 0))
    for (; m + 8 <= rows; m += 8, t++) tile(8, P, y + m * outputs, x + m * inner, panels, n0, outputs, inner, accumulate, PF(t));
    if (rows - m >= 4) { tile(4, P, y + m * outputs, x + m * inner, panels, n0, outputs, inner, accumulate, PF(t)); m += 4; t++; }
    if (rows - m >= 2) { tile(2, P, y + m * outputs, x + m * inner, panels, n0, outputs, inner, accumulate, PF(t)); m += 2; t++; }
    if (rows - m >= 1) { tile(1, P, y + m * outputs, x + m * inner, panels, n0, outputs, inner, accumulate, PF(t)); }
#undef PF
}

IRPO_AVX512 void irpo_invariant_panels_avx512(
    float *y, const float *x, const float *packed,
    ptrdiff_t panel_start, ptrdiff_t panel_end,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate)
{
    ptrdiff_t panel = panel_start;
    if (rows == 1) {
        /* One row: eight panels at a time keep eight independent chains in flight. */
        for (; panel + 8 <= panel_end; panel += 8)
            tile(1, 8, y, x, packed + (panel - panel_start) * PANEL * inner, panel * PANEL, outputs, inner, accumulate, 0, 0);
        for (; panel + 4 <= panel_end; panel += 4)
            tile(1, 4, y, x, packed + (panel - panel_start) * PANEL * inner, panel * PANEL, outputs, inner, accumulate, 0, 0);
        for (; panel < panel_end; panel++)
            tile(1, 1, y, x, packed + (panel - panel_start) * PANEL * inner, panel * PANEL, outputs, inner, accumulate, 0, 0);
        return;
    }
    for (; panel + 3 <= panel_end; panel += 3) {
        const ptrdiff_t after = panel_end - panel - 3;
        panel_group(3, y, x, packed, panel_start, panel, rows, outputs, inner, accumulate, after < 3 ? after : 3);
    }
    if (panel_end - panel == 2) panel_group(2, y, x, packed, panel_start, panel, rows, outputs, inner, accumulate, 0);
    else if (panel_end - panel == 1) panel_group(1, y, x, packed, panel_start, panel, rows, outputs, inner, accumulate, 0);
}

#else

int irpo_avx512_usable(void) { return 0; }

void irpo_invariant_panels_avx512(
    float *y, const float *x, const float *packed,
    ptrdiff_t panel_start, ptrdiff_t panel_end,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate)
{
    (void)y; (void)x; (void)packed; (void)panel_start; (void)panel_end;
    (void)rows; (void)outputs; (void)inner; (void)accumulate;
}

#endif
