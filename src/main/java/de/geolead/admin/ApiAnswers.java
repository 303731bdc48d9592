package de.geolead.admin;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * How the admin page's routes take the operations API's answer ({@code enrich} of a {@code direct:api-…} route):
 * the page's exchange gets an {@link ApiAnswer} as its body. The API route answers its own refusals
 * (route configuration api-errors: status header and {error, detail}), so they arrive here as answers, not
 * exceptions, and the page goes on to show them; only a failure the API route did not handle (e.g. the route does
 * not exist) is passed on as the page's exception.
 */
public final class ApiAnswers implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange page, Exchange api) {
        if (api == null) {
            return page;
        }
        if (api.getException() != null) {
            page.setException(api.getException());
            return page;
        }
        Integer status = api.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        page.getMessage().setBody(ApiAnswer.of(status, api.getMessage().getBody()));
        return page;
    }
}
