package org.gkd4j.gkd.reward;

/** Builds a {@link Reward} from its command-line spec. */
public final class Rewards {

    private Rewards() {
    }

    /** Parses {@code keyword:WORD} or {@code length:N}. */
    public static Reward parse(String spec) {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String argument = colon < 0 ? "" : spec.substring(colon + 1);
        switch (kind) {
            case "keyword" -> {
                return new KeywordReward(argument);
            }
            case "length" -> {
                try {
                    return new LengthReward(Integer.parseInt(argument));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--reward '" + spec
                            + "' is invalid: length:N needs N, a whole number of characters");
                }
            }
            default -> throw new IllegalArgumentException("--reward '" + spec
                    + "' is invalid: use keyword:WORD or length:N");
        }
    }
}
