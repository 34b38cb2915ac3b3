from conftest import World


async def test_it_signs_in_and_reports_me(make_client, world: World):
    client = await make_client("doc@a.test")
    me = (await client.get("/api/me")).json()
    assert me["role"] == "clinician"
    assert me["clinic"]["name"] == "Synthetic Clinic A"
