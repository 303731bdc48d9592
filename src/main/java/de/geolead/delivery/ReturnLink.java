package de.geolead.delivery;

import java.time.Instant;
import java.util.Optional;

/**
 * The return ("Reklamation") link a lead mail carries: where the agent returns the lead, and until when. The mail only
 * shows it; the link is signed elsewhere (de.geolead.returns) and handed to {@link LeadMailComposer} as a value.
 *
 * @param url   the agent's link, e.g. https://leads.example.de/r/&lt;token&gt;
 * @param until when the link stops working (the end of the return window)
 */
public record ReturnLink(String url, Instant until) {

    /** Makes the link of one mail, or none (links switched off). */
    @FunctionalInterface
    public interface Maker {
        /** No links: mails without a return link. */
        Maker NONE = (leadId, customerId, distributionId, sentAt) -> Optional.empty();

        Optional<ReturnLink> linkFor(long leadId, long customerId, long distributionId, Instant sentAt);
    }
}
