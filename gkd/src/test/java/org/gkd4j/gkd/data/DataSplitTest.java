package org.gkd4j.gkd.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DataSplitTest {

    private static List<Example> examples(int count) {
        List<Example> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(new Example("p" + i, "c" + i));
        }
        return list;
    }

    @Test
    void sameSeedGivesSameSplit() {
        assertEquals(DataSplit.of(examples(50), 10, 3), DataSplit.of(examples(50), 10, 3));
    }

    @Test
    void otherSeedGivesOtherSplit() {
        assertNotEquals(DataSplit.of(examples(50), 10, 3).heldOut(), DataSplit.of(examples(50), 10, 4).heldOut());
    }

    @Test
    void partsAreDisjointAndCoverAll() {
        DataSplit split = DataSplit.of(examples(50), 10, 3);
        assertEquals(10, split.heldOut().size());
        assertEquals(40, split.train().size());
        Set<Example> all = new HashSet<>(split.train());
        all.addAll(split.heldOut());
        assertEquals(50, all.size());
    }

    @Test
    void holdingOutEverythingIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> DataSplit.of(examples(5), 5, 1));
    }

    @Test
    void batchOrderResumesFromCursor() {
        List<Example> train = examples(7);
        BatchOrder straight = new BatchOrder(train, 9);
        List<Example> expected = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            expected.addAll(straight.next(3));
        }
        BatchOrder first = new BatchOrder(train, 9);
        List<Example> actual = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            actual.addAll(first.next(3));
        }
        BatchOrder resumed = new BatchOrder(train, 9);
        resumed.seek(first.cursor());
        for (int i = 0; i < 3; i++) {
            actual.addAll(resumed.next(3));
        }
        assertEquals(expected, actual);
    }

    @Test
    void batchOrderVisitsEveryExampleOncePerEpoch() {
        List<Example> train = examples(7);
        BatchOrder order = new BatchOrder(train, 2);
        assertEquals(Set.copyOf(train), Set.copyOf(order.next(7)));
        assertTrue(Set.copyOf(order.next(7)).containsAll(train));
    }
}
