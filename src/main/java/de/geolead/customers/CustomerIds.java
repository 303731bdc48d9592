package de.geolead.customers;

import de.geolead.api.ApiProblem;

/** The {@code {id}} of a {@code /api/customers/{id}} path: a positive number, else 400. */
final class CustomerIds {

    private CustomerIds() {
    }

    static long parse(String id) {
        if (id == null || !id.matches("[0-9]{1,18}")) {
            throw ApiProblem.badRequest("the customer id must be a number, got '" + (id == null ? "" : CustomerView.shorten(id)) + "'");
        }
        return Long.parseLong(id);
    }
}
