package de.geolead.leadview;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One entry of a lead's timeline ({@code GET /api/leads/{id}}): when ({@code at}, ISO-8601), what ({@code type}, one of
 * {@link LeadTimeline}'s types), a short English sentence for people, and the ids it concerns; ids and actor are left
 * out of the JSON when they do not apply.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TimelineEvent(String at, String type, String text, Long customerId, Long distributionId, Long returnId,
                            String actor) {
}
