package dev.caravan.provider;

/** One place a model alias can be served: a provider and the model name that provider knows it by. */
public record Target(String provider, String model) {

    public static Target parse(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new IllegalArgumentException("'" + spec + "' is not of the form <provider>:<upstream-model>");
        }
        return new Target(spec.substring(0, colon).trim(), spec.substring(colon + 1).trim());
    }

    @Override
    public String toString() {
        return provider + ":" + model;
    }
}
