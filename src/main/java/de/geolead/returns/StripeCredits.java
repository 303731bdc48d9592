package de.geolead.returns;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.CustomerBalanceTransaction;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerBalanceTransactionCreateParams;
import de.geolead.api.ApiProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Books the credit of an approved return in Stripe: a customer balance transaction of minus the credit, in EUR, which
 * Stripe takes off the agent's next invoice. The idempotency key is {@code geolead-return-<return id>}: an approval
 * tried again (after a failure or a crash between Stripe and the database) gets the same transaction back from Stripe,
 * so a return is credited at most once. Stripe keeps idempotency keys for 24 hours.
 */
public class StripeCredits {

    private static final Logger LOG = LoggerFactory.getLogger(StripeCredits.class);

    private final StripeClient client;

    public StripeCredits(StripeClient client) {
        this.client = client;
    }

    /** The idempotency key of a return's credit. */
    static String idempotencyKey(long returnId) {
        return "geolead-return-" + returnId;
    }

    /**
     * Credits {@code cents} to the Stripe customer and returns the balance transaction's id.
     *
     * @throws ApiProblem 502 {@code stripe_unavailable} when Stripe does not book it (nothing is recorded then)
     */
    public String credit(String stripeCustomerId, long cents, long returnId, long leadId) {
        CustomerBalanceTransactionCreateParams params = CustomerBalanceTransactionCreateParams.builder()
                .setAmount(-cents)
                .setCurrency("eur")
                .setDescription("Reklamation Lead " + leadId)
                .putMetadata("geolead_return_id", Long.toString(returnId))
                .putMetadata("geolead_lead_id", Long.toString(leadId))
                .build();
        RequestOptions options = RequestOptions.builder().setIdempotencyKey(idempotencyKey(returnId)).build();
        try {
            CustomerBalanceTransaction transaction = client.v1().customers().balanceTransactions()
                    .create(stripeCustomerId, params, options);
            return transaction.getId();
        } catch (StripeException e) {
            // ids, status and codes only: Stripe's message may quote the customer
            String why = e.getClass().getSimpleName() + " (HTTP " + e.getStatusCode() + ", code " + e.getCode()
                    + ", request " + e.getRequestId() + ")";
            LOG.warn("Stripe credit of return {} (Stripe customer {}) failed: {}; the return stays open", returnId, stripeCustomerId, why);
            throw new ApiProblem(502, "stripe_unavailable",
                    "Stripe did not book the credit of return " + returnId + ": " + why + "; the return stays open, approve it again");
        }
    }
}
