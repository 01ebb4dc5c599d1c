"""The connection to one server: the socket's pure policy and its worker, the REST client and its request gate, login and the shared session."""
