package org.gkd4j.model.tokenizer;

import java.util.Arrays;

/**
 * Merge rules of a BPE vocabulary: (left id, right id) → (merged id, priority), where a lower priority merges
 * first. An open-addressing hash table on the packed pair, so that a lookup in the merge loop allocates nothing.
 */
final class PairMergeTable {

    private static final long EMPTY = -1L;

    private long[] keys;
    private int[] mergedIds;
    private int[] priorities;
    private int size;
    /** mergeable[id]: id is the left or right side of some rule. */
    private boolean[] mergeable = new boolean[0];

    PairMergeTable(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedSize * 2 - 1)) << 1;
        allocate(capacity);
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mergedIds = new int[capacity];
        priorities = new int[capacity];
        size = 0;
    }

    /** Number of rules. */
    int size() {
        return size;
    }

    /** Adds a rule unless the pair already has one; the first rule for a pair wins. Ids must be non-negative. */
    boolean putIfAbsent(int left, int right, int mergedId, int priority) {
        if (left < 0 || right < 0) {
            throw new IllegalArgumentException("merge rule: ids must be non-negative, got " + left + " and " + right);
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        long key = pack(left, right);
        int slot = slotOf(key);
        if (keys[slot] == key) {
            return false;
        }
        keys[slot] = key;
        mergedIds[slot] = mergedId;
        priorities[slot] = priority;
        size++;
        int maxId = Math.max(left, right);
        if (maxId >= mergeable.length) {
            mergeable = Arrays.copyOf(mergeable, Math.max(maxId + 1, mergeable.length * 2));
        }
        mergeable[left] = true;
        mergeable[right] = true;
        return true;
    }

    /** Returns whether {@code id} takes part in any rule; a symbol that does not can never merge. */
    boolean isMergeable(int id) {
        return id >= 0 && id < mergeable.length && mergeable[id];
    }

    /** Returns the slot of the rule for (left, right), or -1 when the pair has no rule. */
    int find(int left, int right) {
        long key = pack(left, right);
        int slot = slotOf(key);
        return keys[slot] == key ? slot : -1;
    }

    int mergedId(int slot) {
        return mergedIds[slot];
    }

    int priority(int slot) {
        return priorities[slot];
    }

    private static long pack(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFF_FFFFL);
    }

    /** Slot holding {@code key}, or the empty slot where it would go (linear probing). */
    private int slotOf(long key) {
        int mask = keys.length - 1;
        int slot = (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> 40) & mask;
        while (keys[slot] != EMPTY && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldMerged = mergedIds;
        int[] oldPriorities = priorities;
        allocate(oldKeys.length * 2);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int slot = slotOf(oldKeys[i]);
                keys[slot] = oldKeys[i];
                mergedIds[slot] = oldMerged[i];
                priorities[slot] = oldPriorities[i];
                size++;
            }
        }
    }
}
