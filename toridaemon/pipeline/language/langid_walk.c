/* The language detector's two loops over memory (toridaemon/pipeline/language/detect.py), compiled with the concept
 * engine (toridaemon/pipeline/native.py) and called through ctypes; the detector runs them in numpy without it.
 *
 * Both wait on memory rather than compute. The byte automaton's move table is 39 MB and the weight table 57 MB; in
 * the pipeline, between two documents, the rest of the analysis evicts the lines a detection needs, and most of a
 * short document's detection time went into cache and TLB misses. So:
 * - the walk runs `CHAINS` walks side by side, each over its own piece of the text, so that their lookups are in
 *   flight together (one walk waits on each lookup before the next: its state is the previous lookup's result);
 * - the rows of the weights a text selects are copied with the rows `AHEAD` of them prefetched.
 * Both give exactly what the numpy code gives: the same features, counted and ordered alike, the same rows.
 *
 * Memory safety rests on the tables the detector checked when it read them (`detect._consistent`): every move is
 * a state, every state's row base plus a byte is inside the move table, every output is -1 or a weight row. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 6   /* the automaton's state after a byte depends only on the last WINDOW bytes (`detect.WINDOW`) */
#define CHAINS 16  /* walks interleaved */
#define AHEAD 16   /* rows prefetched ahead of the one copied */

/* Walks the automaton over `text` (`length` bytes) and writes the features met, each once in order of first
 * occurrence, into `features`, and how often each was met into `counts` (room for `length` each). Returns how
 * many, or -1 when memory for the scratch tables could not be had. A piece's walk starts WINDOW - 1 bytes before
 * the piece (or at the text's start): by the piece's first byte it is in the state the whole walk is in there. */
int64_t lid_visits(const uint8_t *text, int64_t length, const uint32_t *moves, const int64_t *row_bases,
                   const int64_t *outputs, int64_t *features, int64_t *counts) {
    if (length <= 0)
        return 0;
    int64_t *met = malloc((size_t)length * sizeof *met); /* the feature met at each byte, or -1 */
    int64_t slots = 16;
    int shift = 60; /* a slot is the top bits of a multiplicative hash: 64 - log2(slots) */
    while (slots < 2 * length) {
        slots *= 2;
        shift--;
    }
    int64_t *slot_of = malloc((size_t)slots * sizeof *slot_of); /* feature → its index in `features`, hashed */
    if (met == NULL || slot_of == NULL) {
        free(met);
        free(slot_of);
        return -1;
    }
    int64_t piece = (length + CHAINS - 1) / CHAINS;
    int64_t at[CHAINS], first[CHAINS], end[CHAINS];
    uint64_t state[CHAINS];
    for (int chain = 0; chain < CHAINS; chain++) {
        int64_t start = chain * piece < length ? chain * piece : length;
        first[chain] = start;
        end[chain] = start + piece < length ? start + piece : length;
        at[chain] = start >= WINDOW - 1 ? start - (WINDOW - 1) : 0;
        state[chain] = 0;
    }
    for (int64_t step = 0; step < piece + WINDOW - 1; step++) {
        for (int chain = 0; chain < CHAINS; chain++) {
            int64_t position = at[chain];
            if (position < end[chain]) {
                state[chain] = moves[row_bases[state[chain]] + text[position]];
                if (position >= first[chain])
                    met[position] = outputs[state[chain]];
                at[chain] = position + 1;
            }
        }
    }
    memset(slot_of, 0xff, (size_t)slots * sizeof *slot_of); /* all -1: empty */
    int64_t found = 0;
    for (int64_t position = 0; position < length; position++) {
        int64_t feature = met[position];
        if (feature < 0)
            continue;
        uint64_t slot = ((uint64_t)feature * 0x9E3779B97F4A7C15ull) >> shift;
        while (slot_of[slot] >= 0 && features[slot_of[slot]] != feature)
            slot = (slot + 1) & (uint64_t)(slots - 1);
        if (slot_of[slot] < 0) {
            slot_of[slot] = found;
            features[found] = feature;
            counts[found++] = 1;
        } else {
            counts[slot_of[slot]]++;
        }
    }
    free(met);
    free(slot_of);
    return found;
}

/* Copies row `features[k]` of `weights` (`classes` floats a row) to row k of `rows`, for k below `found`, each
 * row's lines prefetched `AHEAD` rows before it is copied. */
static void prefetch_row(const float *weights, int64_t classes, int64_t feature) {
    const char *row = (const char *)(weights + feature * classes);
    for (int64_t offset = 0; offset < classes * (int64_t)sizeof(float); offset += 64)
        __builtin_prefetch(row + offset);
}

void lid_rows(const float *weights, int64_t classes, const int64_t *features, int64_t found, float *rows) {
    for (int64_t k = 0; k < found && k < AHEAD; k++)
        prefetch_row(weights, classes, features[k]);
    for (int64_t k = 0; k < found; k++) {
        if (k + AHEAD < found)
            prefetch_row(weights, classes, features[k + AHEAD]);
        memcpy(rows + k * classes, weights + features[k] * classes, (size_t)classes * sizeof(float));
    }
}
