"""The registry every shared screen or duty reads the domains' parts from."""

from portal.registry import Registry


def test_registry_keeps_registration_order_and_replaces_a_key_in_place() -> None:
    registry: Registry[str] = Registry()
    registry.register("b", "first b")
    registry.register("a", "a")
    registry.register("b", "second b")
    assert list(registry) == ["b", "a"]
    assert list(registry.values()) == ["second b", "a"]
    assert registry["b"] == "second b" and registry.get("c") is None
    assert "a" in registry and len(registry) == 2


def test_registry_orders_by_order_then_key() -> None:
    registry: Registry[int] = Registry()
    registry.register("late", 3, order=90)
    registry.register("zeta", 2, order=10)
    registry.register("alpha", 1, order=10)
    assert registry.ordered_keys() == ["alpha", "zeta", "late"]
    assert registry.ordered() == [1, 2, 3]


def test_registry_pop_removes_a_part() -> None:
    registry: Registry[int] = Registry()
    registry.register("gone", 1, order=5)
    assert registry.pop("gone") == 1
    assert "gone" not in registry and registry.ordered() == []
