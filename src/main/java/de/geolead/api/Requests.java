package de.geolead.api;

/**
 * The JSON request bodies of the operations API, as the rest: verbs declare them ({@code type:}) and the admin page
 * builds them from its forms. Fields the caller left out are null; the beans behind the routes check them and answer
 * 400 through {@link ApiProblem}.
 */
public final class Requests {

    private Requests() {
    }

    /** {@code POST /api/leads/{id}/resend}: the agent who gets the lead's mail again. */
    public record Resend(Long customerId) {
    }

    /** {@code POST /api/leads/{id}/assign}: hand the lead to this agent; {@code force} = even outside the agent's PLZ. */
    public record Assign(Long customerId, Boolean force) {
    }

    /** {@code POST /api/leads/{id}/park}: why the lead is kept out of distribution. */
    public record Park(String reason) {
    }

    /** {@code PUT /api/customers/{id}/pause}: until when (ISO-8601 instant or date in GEOLEAD_DELIVERY_ZONE). */
    public record Pause(String until) {
    }

    /** {@code PUT /api/customers/{id}/cap}: leads per calendar month; null = no cap. */
    public record Cap(Integer monthly) {
    }

    /** {@code POST /api/leads/{id}/returns}: the agent returning the lead, a reason code and a note. */
    public record FileReturn(Long customerId, String reason, String note) {
    }

    /** {@code POST /api/returns/{id}/approve|reject}: {@code force} = approve above GEOLEAD_RETURN_MAX_RATE. */
    public record Decision(Boolean force, String note) {
    }

    /** {@code POST /api/data-subjects/export}: the homeowner's phone number and/or e-mail address (at least one). */
    public record DataSubject(String phone, String email) {
        /** Never the values (a body may reach a debug line). */
        @Override
        public String toString() {
            return "DataSubject[phone " + (phone == null ? "absent" : "given") + ", email " + (email == null ? "absent" : "given") + "]";
        }
    }

    /**
     * {@code POST /api/data-subjects/erasure}: the homeowner's phone number and/or e-mail address (at least one) and an
     * optional {@code reference} of the request (a ticket number), kept in the audit log.
     */
    public record DataSubjectErasure(String phone, String email, String reference) {
        /** Never the values (a body may reach a debug line). */
        @Override
        public String toString() {
            return "DataSubjectErasure[phone " + (phone == null ? "absent" : "given") + ", email "
                    + (email == null ? "absent" : "given") + ", reference " + reference + "]";
        }
    }
}
