"""The product catalog, counter types and shopper types (issue 8): read by everyone signed in, changed by
managers and admins."""

from flask import g, request, url_for

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.catalog import (
    CounterTypeListOut,
    ProductIn,
    ProductListOut,
    ProductOut,
    ProductPatchIn,
    ProductQueryIn,
    ShopperTypeListOut,
)
from app.services import catalog, permissions


@bp.get("/products")
@login_required
def list_products():
    query = load(ProductQueryIn(), request.args.to_dict())
    items = catalog.list_products(**query)
    return ProductListOut().dump({"items": items, "needs": catalog.need_words(items)})


@bp.post("/products")
@login_required
def create_product():
    permissions.require_manager(g.user)  # before reading the body: a guide learns nothing from a 422
    product = catalog.create_product(user=g.user, data=load(ProductIn(), json_body()))
    return ProductOut().dump(product), 201, {"Location": url_for("api.get_product", sku=product.sku)}


@bp.get("/products/<sku>")
@login_required
def get_product(sku: str):
    return ProductOut().dump(catalog.get_product(sku))


@bp.patch("/products/<sku>")
@login_required
def update_product(sku: str):
    permissions.require_manager(g.user)
    product = catalog.update_product(user=g.user, sku=sku, data=load(ProductPatchIn(), json_body()))
    return ProductOut().dump(product)


@bp.get("/counter-types")
@login_required
def list_counter_types():
    return CounterTypeListOut().dump({"items": catalog.counter_types()})


@bp.get("/shopper-types")
@login_required
def list_shopper_types():
    return ShopperTypeListOut().dump({"items": catalog.shopper_types()})
