package org.gkd4j.gkd.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** EditDistance against distances counted by hand. */
class EditDistanceTest {

    @Test
    void distancesByHand() {
        assertEquals(0, EditDistance.between("prompt", "prompt"));
        assertEquals(1, EditDistance.between("promt", "prompt"));
        assertEquals(1, EditDistance.between("completon", "completion"));
        assertEquals(2, EditDistance.between("prmpot", "prompt"));
        assertEquals(3, EditDistance.between("kitten", "sitting"));
        assertEquals(6, EditDistance.between("", "prompt"));
        assertEquals(6, EditDistance.between("prompt", ""));
    }
}
