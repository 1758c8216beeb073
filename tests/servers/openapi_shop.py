"""A small HTTP API for the OpenAPI tests: FastAPI serves it and its own /openapi.json.

`GET /items/{item_id}?currency=` (path + query), `GET /items?limit=&tag=` (query),
`POST /orders` (JSON body, needs `X-Api-Key: $SHOP_KEY`), `DELETE /orders/{order_id}`.
Run: `python openapi_shop.py PORT` (127.0.0.1).
"""

import os
import sys
from typing import Literal

import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="Shop", version="1.0")
ITEMS = {1: ("kettle", 25.0, "kitchen"), 2: ("lamp", 40.0, "home"), 3: ("pan", 18.5, "kitchen")}
RATES = {"EUR": 1.0, "USD": 1.1, "GBP": 0.85}
ORDERS: dict[int, dict] = {}


class Order(BaseModel):
    item_id: int = Field(description="The item to order.")
    quantity: int = Field(ge=1, le=10, description="How many, 1 to 10.")
    gift: bool = False


@app.get("/items/{item_id}", operation_id="get_item", summary="One item with its price.")
def get_item(item_id: int, currency: Literal["EUR", "USD", "GBP"] = "EUR") -> dict:
    if item_id not in ITEMS:
        raise HTTPException(404, detail=f"no item {item_id}; items are 1-3")
    name, price, tag = ITEMS[item_id]
    return {
        "id": item_id,
        "name": name,
        "price": round(price * RATES[currency], 2),
        "currency": currency,
    }


@app.get("/items", operation_id="list_items", summary="Items, optionally by tag.")
def list_items(limit: int = 10, tag: str | None = None) -> list[dict]:
    found = [{"id": i, "name": n} for i, (n, _, t) in ITEMS.items() if tag in (None, t)]
    return found[:limit]


@app.post("/orders", operation_id="create_order", summary="Place an order.")
def create_order(order: Order, x_api_key: str = Header(default="")) -> dict:
    if x_api_key != os.environ.get("SHOP_KEY"):
        raise HTTPException(401, detail="a valid X-Api-Key header is required")
    if order.item_id not in ITEMS:
        raise HTTPException(422, detail=f"no item {order.item_id}")
    number = len(ORDERS) + 1
    ORDERS[number] = order.model_dump()
    return {"order": number, **order.model_dump()}


@app.delete("/orders/{order_id}", operation_id="cancel_order", summary="Cancel an order.")
def cancel_order(order_id: int) -> dict:
    if ORDERS.pop(order_id, None) is None:
        raise HTTPException(404, detail=f"no order {order_id}")
    return {"cancelled": order_id}


@app.get("/whoami", operation_id="whoami", summary="Says which key the request came with.")
def whoami(x_api_key: str = Header(default="")) -> str:
    return f"you are {x_api_key or 'nobody'}"


@app.get("/orders", operation_id="list_orders", summary="Every order placed so far.")
def list_orders() -> dict:
    return {"orders": ORDERS}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
