"""clipdex-mini-itm: a small image–text matching (ITM) re-ranker over clipdex-mini's towers."""
