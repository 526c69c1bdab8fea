/* Huffman decoding tables for inflate.c (RFC 1951 3.2.2): canonical codes
 * from code lengths, checked for completeness, laid out as a primary table
 * plus subtables (the scheme zlib and libdeflate use; the entry format is in
 * inflate.h). */
#include "inflate.h"

#include <string.h>

/* Base values and extra-bit counts of the length symbols 257..285 and the
 * distance symbols 0..29 (RFC 1951 3.2.5). */
static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10,  11,  13,
                                      15, 17, 19, 23, 27, 31, 35, 43,  51,  59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,
                                       17,   25,   33,   49,   65,   97,    129,   193,
                                       257,  385,  513,  769,  1025, 1537,  2049,  3073,
                                       4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* What decoding symbol sym of the given alphabet means (without nbits). */
static uint32_t sym_entry(int which, unsigned sym)
{
    if (which == T_CODES)
        return ENTRY(sym, K_LIT, 0);
    if (which == T_DIST)
        return sym < 30 ? ENTRY(dist_base[sym], K_BASE, dist_extra[sym]) : ENTRY(0, K_BAD, 0);
    if (sym < 256)
        return ENTRY(sym, K_LIT, 0);
    if (sym == 256)
        return ENTRY(0, K_EOB, 0);
    if (sym < 286)
        return ENTRY(len_base[sym - 257], K_BASE, len_extra[sym - 257]);
    return ENTRY(0, K_BAD, 0); /* 286 and 287 exist in the fixed code only */
}

static unsigned reverse_bits(unsigned code, unsigned len)
{
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1)
        r = (r << 1) | (code & 1u);
    return r;
}

/* Checks the code lengths like zlib does: over-subscribed codes are always
 * wrong; incomplete ones too, except a single code of length 1 in the
 * literal/length or distance alphabet (RFC 1951 allows one distance code)
 * and an empty distance code (a block of literals only; an empty
 * literal/length code has no end-of-block and is refused by the caller).
 * Returns the longest length (0 for an empty code) or -1 and *why. */
static int check_lengths(const unsigned count[MAX_BITS + 1], int which, const char **why)
{
    int left = 1, max = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        left = 2 * left - (int)count[len];
        if (left < 0) {
            *why = "over-subscribed";
            return -1;
        }
        if (count[len])
            max = len;
    }
    if (left > 0 && (which == T_CODES || max > 1)) {
        *why = max == 0 ? "empty" : "incomplete";
        return -1;
    }
    return max;
}

/* Size in bits of the subtable starting with a code of length len: grows
 * until the remaining codes of this prefix fill it (zlib's rule). */
static unsigned subtable_bits(const unsigned rem[MAX_BITS + 1], unsigned len, unsigned root,
                              unsigned max)
{
    unsigned bits = len - root;
    int left = (1 << bits) - (int)rem[len];
    while (left > 0 && bits + root < max) {
        bits++;
        left = 2 * left - (int)rem[bits + root];
    }
    return bits;
}

int pn_inflate_table(uint32_t *tab, size_t cap, unsigned root, const uint8_t *lens, unsigned n,
                     int which, const char **why)
{
    unsigned count[MAX_BITS + 1] = {0}, rem[MAX_BITS + 1], next[MAX_BITS + 2], offs[MAX_BITS + 2];
    uint16_t sorted[288];
    for (unsigned i = 0; i < n; i++)
        count[lens[i]]++;
    count[0] = 0;
    int max = check_lengths(count, which, why);
    if (max < 0)
        return -1;

    /* Symbols sorted by (length, symbol) and the first canonical code of
     * each length (RFC 1951 3.2.2). */
    offs[1] = 0;
    next[1] = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        offs[len + 1] = offs[len] + count[len];
        next[len + 1] = (next[len] + count[len]) << 1;
    }
    unsigned nsorted = offs[MAX_BITS + 1];
    for (unsigned sym = 0; sym < n; sym++)
        if (lens[sym])
            sorted[offs[lens[sym]]++] = (uint16_t)sym;
    memcpy(rem, count, sizeof rem);

    /* Entries no code reaches (only with the single-code exception) fail. */
    size_t used = (size_t)1 << root;
    for (size_t i = 0; i < used; i++)
        tab[i] = ENTRY(0, K_BAD, 0) | 1u;

    size_t sub_base = 0;
    unsigned sub_bits = 0, cur_low = ~0u, root_mask = (1u << root) - 1;
    for (unsigned k = 0; k < nsorted; k++) {
        unsigned sym = sorted[k], len = lens[sym];
        unsigned rev = reverse_bits(next[len]++, len);
        uint32_t e = sym_entry(which, sym);
        if (len <= root) {
            for (unsigned i = rev; i <= root_mask; i += 1u << len)
                tab[i] = e | len;
        } else {
            if ((rev & root_mask) != cur_low) { /* first code of a new prefix */
                cur_low = rev & root_mask;
                sub_bits = subtable_bits(rem, len, root, (unsigned)max);
                if (used + ((size_t)1 << sub_bits) > cap) {
                    *why = "too large for the decoding table"; /* cannot happen */
                    return -1;
                }
                tab[cur_low] = ENTRY(used, K_SUB, sub_bits) | root;
                sub_base = used;
                used += (size_t)1 << sub_bits;
            }
            for (unsigned i = rev >> root; i < (1u << sub_bits); i += 1u << (len - root))
                tab[sub_base + i] = e | (len - root);
        }
        rem[len]--;
    }
    return 0;
}
