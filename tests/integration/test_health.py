"""/readyz against the real parts: PostgreSQL, Redis as the broker, a Celery worker process."""


def test_readyz_is_ready_with_a_worker_answering(client, celery_worker_process):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "ok"
    assert checks["worker"]["status"] == "answering"
    assert checks["database"]["status"] == "ok"
