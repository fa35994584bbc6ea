package org.gkd4j.model.tokenizer;

import java.util.Arrays;

/**
 * Greedy BPE merging: repeatedly replace the adjacent pair whose rule has the lowest priority, the leftmost such
 * pair on a tie, by its merged id, until no adjacent pair has a rule.
 *
 * <p>A symbol that takes part in no rule (such as the newline byte piece of a llama2.c vocabulary) never merges,
 * so it cuts the sequence into segments that merge independently. Within a segment the symbols form a doubly
 * linked list over arrays and every adjacent pair with a rule sits in a binary heap keyed by (priority, position
 * of its left symbol). So n symbols take O(n log n) instead of the O(n²) of rescanning after each merge. A merge
 * keeps the left node, so node indices stay in text order and the index is the tie-break. Heap entries are not
 * removed when a neighbour changes: a popped entry counts only if the pair now at its left node still has a rule
 * of the same priority, and such an entry is interchangeable with the up-to-date one.
 */
final class BpeMerger {

    private static final int REMOVED = -1;

    /** Per-segment arrays, grown as needed and reused across the segments of one call. */
    private int[] ids = new int[0];
    private int[] next = new int[0];
    private int[] prev = new int[0];
    private final LongMinHeap heap = new LongMinHeap(16);

    private BpeMerger() {
    }

    /** Returns the merged ids of {@code symbols}; the input array is not changed. */
    static int[] merge(int[] symbols, PairMergeTable rules) {
        int n = symbols.length;
        if (n < 2 || rules.size() == 0) {
            return symbols.clone();
        }
        BpeMerger merger = new BpeMerger();
        int[] out = new int[n];
        int count = 0;
        int segmentStart = 0;
        for (int i = 0; i <= n; i++) {
            if (i < n && rules.isMergeable(symbols[i])) {
                continue;
            }
            count = merger.mergeSegment(symbols, segmentStart, i, rules, out, count);
            if (i < n) {
                out[count++] = symbols[i];
            }
            segmentStart = i + 1;
        }
        return count == n ? out : Arrays.copyOf(out, count);
    }

    /** Merges symbols[from, to) and appends the result to out at {@code count}; returns the new count. */
    private int mergeSegment(int[] symbols, int from, int to, PairMergeTable rules, int[] out, int count) {
        int n = to - from;
        if (n < 2) {
            if (n == 1) {
                out[count++] = symbols[from];
            }
            return count;
        }

        // linked list: ids[i] is REMOVED once node i was merged into its left neighbour
        if (ids.length < n) {
            ids = new int[Math.max(n, ids.length * 2)];
            next = new int[ids.length];
            prev = new int[ids.length];
        }
        System.arraycopy(symbols, from, ids, 0, n);
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        heap.clear();
        for (int i = 0; i + 1 < n; i++) {
            push(rules, i, i + 1);
        }

        // merge the best pair until none is left
        while (!heap.isEmpty()) {
            long key = heap.pop();
            int priority = (int) (key >> 32);
            int left = (int) key;
            int right = next[left];
            if (ids[left] == REMOVED || right < 0) {
                continue;
            }
            int slot = rules.find(ids[left], ids[right]);
            if (slot < 0 || rules.priority(slot) != priority) {
                continue;
            }
            ids[left] = rules.mergedId(slot);
            ids[right] = REMOVED;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                push(rules, prev[left], left);
            }
            if (next[left] >= 0) {
                push(rules, left, next[left]);
            }
        }

        // node 0 is never removed, so the list starts there
        for (int node = 0; node >= 0; node = next[node]) {
            out[count++] = ids[node];
        }
        return count;
    }

    private void push(PairMergeTable rules, int left, int right) {
        int slot = rules.find(ids[left], ids[right]);
        if (slot >= 0) {
            heap.push(((long) rules.priority(slot) << 32) | (left & 0xFFFF_FFFFL));
        }
    }

    /** Binary min-heap of longs. */
    private static final class LongMinHeap {
        private long[] items;
        private int size;

        LongMinHeap(int capacity) {
            items = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void clear() {
            size = 0;
        }

        void push(long value) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (items[parent] <= value) {
                    break;
                }
                items[i] = items[parent];
                i = parent;
            }
            items[i] = value;
        }

        long pop() {
            long top = items[0];
            long last = items[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && items[child + 1] < items[child]) {
                    child++;
                }
                if (last <= items[child]) {
                    break;
                }
                items[i] = items[child];
                i = child;
            }
            items[i] = last;
            return top;
        }
    }
}
