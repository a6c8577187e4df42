from crm.extensions import db


def test_dashboard_renders_for_admin(client, login_as):
    login_as("admin")
    response = client.get("/")
    assert response.status_code == 200
    assert b"Dashboard" in response.data
