package de.geolead.subjects;

import de.geolead.privacy.LeadContents;
import de.geolead.privacy.UnreadableLeadData;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds every lead of a {@link Homeowner} by reading all stored contacts through {@link LeadContents#forEachContact}
 * (plain or sealed: the comparison needs the opened values, so there is no index to ask). Erased leads are not
 * searched. A row that cannot be read (a lost key, an altered row) is counted and named in the result, never skipped
 * silently: the caller must say the search was incomplete.
 */
public class HomeownerSearch {

    /** What a search found: the matching leads, the unreadable ones (ids in order), how many were read and how long it took. */
    public record Found(List<Long> leadIds, List<Long> unreadableLeadIds, int searched, long millis) {
    }

    private final LeadContents contents;

    public HomeownerSearch(LeadContents contents) {
        this.contents = contents;
    }

    public Found find(Homeowner homeowner) {
        long start = System.nanoTime();
        List<Long> found = new ArrayList<>();
        List<Long> unreadable = new ArrayList<>();
        int[] searched = {0};
        contents.forEachContact(new LeadContents.Visitor() {
            @Override
            public void contact(long leadId, Map<String, Object> fields) {
                searched[0]++;
                if (homeowner.matches(fields)) {
                    found.add(leadId);
                }
            }

            @Override
            public void unreadable(long leadId, UnreadableLeadData problem) {
                searched[0]++;
                unreadable.add(leadId);
            }
        });
        return new Found(List.copyOf(found), List.copyOf(unreadable), searched[0], (System.nanoTime() - start) / 1_000_000);
    }
}
