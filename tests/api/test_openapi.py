def test_openapi_document_builds_and_every_operation_is_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), f"{method} {path}"
            if method != "get" or "parameters" in operation:
                errors = [code for code in responses if code[0] in "45"]
                assert errors, f"{method.upper()} {path} documents no error response"


def test_error_schema_carries_machine_code(client):
    spec = client.get("/api/openapi.json").get_json()
    error_schema = spec["components"]["schemas"]["ApiError"]
    assert "error" in error_schema["properties"]


def test_interactive_docs_page_is_served(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()
    # The page loads Swagger UI from our own server, never from a CDN.
    assert b"cdn" not in response.data.lower()
