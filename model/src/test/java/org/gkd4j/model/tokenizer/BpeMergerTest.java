package org.gkd4j.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class BpeMergerTest {

    /** Merge rule in the form the naive reference uses. */
    private record Rule(int left, int right, int merged, int priority) {
    }

    /** Rescans the whole sequence after every merge: O(n²), the definition the heap version must match. */
    private static int[] naiveMerge(int[] symbols, List<Rule> rules) {
        List<Integer> ids = new ArrayList<>();
        for (int s : symbols) {
            ids.add(s);
        }
        while (true) {
            int bestPosition = -1;
            Rule best = null;
            for (int i = 0; i + 1 < ids.size(); i++) {
                for (Rule rule : rules) {
                    if (rule.left() == ids.get(i) && rule.right() == ids.get(i + 1)
                            && (best == null || rule.priority() < best.priority())) {
                        best = rule;
                        bestPosition = i;
                    }
                }
            }
            if (best == null) {
                return ids.stream().mapToInt(Integer::intValue).toArray();
            }
            ids.set(bestPosition, best.merged());
            ids.remove(bestPosition + 1);
        }
    }

    private static PairMergeTable table(List<Rule> rules) {
        PairMergeTable table = new PairMergeTable(rules.size());
        for (Rule rule : rules) {
            table.putIfAbsent(rule.left(), rule.right(), rule.merged(), rule.priority());
        }
        return table;
    }

    @Test
    void mergeMatchesNaiveReferenceOnRandomRules() {
        Random random = new Random(42);
        for (int trial = 0; trial < 2000; trial++) {
            // a small alphabet and random rules; priorities drawn from a small range give many ties
            int alphabet = 2 + random.nextInt(4);
            List<Rule> rules = new ArrayList<>();
            int nextId = alphabet;
            int ruleCount = 1 + random.nextInt(12);
            for (int r = 0; r < ruleCount; r++) {
                int left = random.nextInt(nextId);
                int right = random.nextInt(nextId);
                boolean duplicate = false;
                for (Rule rule : rules) {
                    duplicate |= rule.left() == left && rule.right() == right;
                }
                if (!duplicate) {
                    rules.add(new Rule(left, right, nextId++, random.nextInt(6) - 3));
                }
            }
            int[] symbols = new int[random.nextInt(40)];
            for (int i = 0; i < symbols.length; i++) {
                symbols[i] = random.nextInt(alphabet);
            }
            int finalTrial = trial;
            assertArrayEquals(naiveMerge(symbols, rules), BpeMerger.merge(symbols, table(rules)),
                    () -> "trial " + finalTrial);
        }
    }

    @Test
    void mergeTieTakesLeftmostPair() {
        // a a a with rule (a, a) -> b: the leftmost pair merges first, leaving b a
        List<Rule> rules = List.of(new Rule(0, 0, 1, 0));
        assertArrayEquals(new int[] {1, 0}, BpeMerger.merge(new int[] {0, 0, 0}, table(rules)));
        assertArrayEquals(new int[] {1, 1}, BpeMerger.merge(new int[] {0, 0, 0, 0}, table(rules)));
    }

    @Test
    void mergeLowerPriorityFirst() {
        // x y z with (y, z) priority 0 and (x, y) priority 1: y z merges, then x + yz has no rule
        List<Rule> rules = List.of(new Rule(0, 1, 3, 1), new Rule(1, 2, 4, 0));
        assertArrayEquals(new int[] {0, 4}, BpeMerger.merge(new int[] {0, 1, 2}, table(rules)));
    }

    @Test
    void mergeSkipsStaleHeapEntry() {
        // w x y z = 0 1 2 3; (y, z) merges first, which leaves the entry of (x, y) stale while x now meets yz.
        // (w, x) must merge before the later rule (x, yz), so the result is wx yz, not w xyz
        List<Rule> rules = List.of(new Rule(2, 3, 4, 0), new Rule(1, 2, 5, 2), new Rule(0, 1, 6, 3),
                new Rule(1, 4, 7, 4));
        assertArrayEquals(new int[] {6, 4}, BpeMerger.merge(new int[] {0, 1, 2, 3}, table(rules)));
        assertArrayEquals(new int[] {6, 4}, naiveMerge(new int[] {0, 1, 2, 3}, rules));
    }

    @Test
    void mergeLongRunStaysCorrect() {
        // 100000 copies of a with (a, a) -> b and (b, b) -> c: pairs of pairs become c
        List<Rule> rules = List.of(new Rule(0, 0, 1, 0), new Rule(1, 1, 2, 1));
        int[] symbols = new int[100_000];
        int[] merged = BpeMerger.merge(symbols, table(rules));
        int[] expected = new int[25_000];
        java.util.Arrays.fill(expected, 2);
        assertArrayEquals(expected, merged);
    }

    @Test
    void tableGrowsAndKeepsFirstRule() {
        PairMergeTable table = new PairMergeTable(1);
        for (int i = 0; i < 1000; i++) {
            table.putIfAbsent(i, i + 1, 5000 + i, i);
        }
        table.putIfAbsent(7, 8, 1, 1);
        int slot = table.find(7, 8);
        assertArrayEquals(new int[] {5007, 7}, new int[] {table.mergedId(slot), table.priority(slot)});
        assertArrayEquals(new int[] {-1}, new int[] {table.find(8, 7)});
    }
}
