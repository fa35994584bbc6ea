package org.gkd4j.gkd.reward;

import java.util.Locale;

/** Reward 1 when the completion contains the keyword as a whole word (case-insensitive), else 0. */
public record KeywordReward(String keyword) implements Reward {

    public KeywordReward {
        if (keyword == null || keyword.isBlank()) {
            throw new IllegalArgumentException("keyword reward: the keyword is empty; use --reward keyword:WORD");
        }
        keyword = keyword.toLowerCase(Locale.ROOT);
    }

    @Override
    public double score(String prompt, String completion) {
        String text = completion.toLowerCase(Locale.ROOT);
        int from = 0;
        while (true) {
            int at = text.indexOf(keyword, from);
            if (at < 0) {
                return 0;
            }
            int end = at + keyword.length();
            boolean startsWord = at == 0 || !Character.isLetterOrDigit(text.charAt(at - 1));
            boolean endsWord = end == text.length() || !Character.isLetterOrDigit(text.charAt(end));
            if (startsWord && endsWord) {
                return 1;
            }
            from = at + 1;
        }
    }
}
