"""Open311 GeoReport v2: the city's cases as a projection for existing civic clients, and filing over the API with
keys issued per integrating system. Everything goes through the same services as the H5 form and the console."""
