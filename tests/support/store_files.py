"""Store-information files for the store-info tests: a seller's policies, and a catalog whose
armoire has a return window of its own (the product fact a store question must never get)."""

from __future__ import annotations

POLICIES_MD = b"""# Echo Furniture - store information

## Returns & refunds
You can return any item within 30 days of delivery for a full refund. Items must be unused and in
their original packaging.

## Shipping
We ship to Germany, Austria and Switzerland. Delivery takes 2-4 business days with DHL.
Shipping costs 4.90 EUR; orders over 50 EUR ship free.

## Opening hours
Our showroom in Berlin is open Monday to Friday from 10:00 to 18:00 and Saturday from 10:00 to 14:00.
Closed on Sundays and public holidays.

## Payment
We accept PayPal, credit cards (Visa, Mastercard) and bank transfer.

### Gift wrapping
We wrap any order as a present for 3 EUR.
"""

PERSONA_FAQ_TXT = b"""RETURNS
Vintage pieces are sold as seen: we take them back only when they arrive damaged.

Opening hours
Saturdays 11:00-16:00 at the flea market stall.
"""

CATALOG_CSV = (
    b"sku,name,description,price\n"
    b"ARM-1,Oak Armoire,Solid oak armoire with two doors. Returns accepted within 14 days of delivery.,899\n"
    b"LMP-2,Copper Desk Lamp,Brushed copper desk lamp with a linen shade.,79\n"
)


def store_pdf(pages: list[list[str]]) -> bytes:
    """A text PDF whose pages hold these lines (Helvetica, one line under the other)."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(width=500, height=400)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        shown = " T* ".join(f"({line})Tj" for line in lines)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 10 Tf 14 TL 20 380 Td {shown} ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
