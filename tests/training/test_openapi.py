"""The OpenAPI document falls out of the code: every training path is in it."""


def test_openapi_lists_the_training_api(make_app):
    app = make_app("training")
    spec = app.test_client().get("/api/training/openapi.json").get_json()
    paths = set(spec["paths"])
    for path in ("/api/training/v1/courses", "/api/training/v1/classes", "/api/training/v1/classes/{class_id}",
                 "/api/training/v1/classes/{class_id}/enrollments", "/api/training/v1/classes/{class_id}/attendance",
                 "/api/training/v1/people/{person_id}/hours", "/api/training/v1/coverage",
                 "/api/training/v1/overdue", "/api/training/v1/rotation-plans",
                 "/api/training/v1/rotation-plans/{plan_id}/confirm"):
        assert path in paths, path
    coverage = spec["paths"]["/api/training/v1/coverage"]["get"]
    assert {p["name"] for p in coverage["parameters"]} >= {"under", "year", "format", "gap", "rows", "cursor"}
