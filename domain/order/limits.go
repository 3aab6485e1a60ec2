package order

// Limits on commands. They keep documents well under Cosmos DB's 2 MB item
// limit, keep ids usable in URLs and document ids, and bound every amount so
// that sums over an order cannot overflow.
const (
	// MaxIDLength bounds orderId, buyerId and productId (in bytes). Ids are
	// 1 to MaxIDLength of the letters A-Z a-z, the digits, and - _ . :, and
	// are not made only of dots (see validate.go).
	MaxIDLength = 128
	// MaxNameLength bounds a product name, in characters.
	MaxNameLength = 256
	// MaxStreetLength bounds the street line of an address, in characters.
	MaxStreetLength = 256
	// MaxCityLength bounds the city of an address, in characters.
	MaxCityLength = 128
	// MaxPostalCodeLength bounds a postal code; the longest in use has 10 characters.
	MaxPostalCodeLength = 16
	// MaxPaymentReferenceLength bounds the payment provider's reference.
	MaxPaymentReferenceLength = 128
	// MaxCarrierLength bounds a carrier name.
	MaxCarrierLength = 64
	// MaxTrackingNumberLength bounds a tracking number.
	MaxTrackingNumberLength = 128
	// MaxReasonLength bounds a cancellation reason, in characters.
	MaxReasonLength = 512
	// MaxItems bounds the number of distinct products (lines) in an order.
	MaxItems = 100
	// MaxQuantity bounds the quantity of one line, also after merging.
	MaxQuantity = 10_000
	// MaxAmount bounds every amount (unit price, discount, line total, order
	// total, payment) in minor units. 2^53-1 is the largest integer that
	// JSON consumers parsing numbers as float64 (JavaScript) still read exactly,
	// and MaxItems*MaxAmount fits easily in an int64.
	MaxAmount int64 = 1<<53 - 1
)
