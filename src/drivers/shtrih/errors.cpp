#include "drivers/shtrih/errors.hpp"

namespace kassa::drivers::shtrih {

// Texts of §1.10 (protocol 1.17).
std::string_view error_text(std::uint8_t code) {
    switch (code) {
        case 0x00:
            return "OK";
        case 0x01:
            return "FN: unknown command, wrong format or unknown parameters";
        case 0x02:
            return "FN: wrong FN state for this command";
        case 0x03:
            return "FN: FN failure";
        case 0x04:
            return "FN: crypto-coprocessor failure";
        case 0x05:
            return "FN: parameters do not match the FN life phase / FN expired";
        case 0x06:
            return "FN: archive overflow";
        case 0x07:
            return "FN: wrong date/time";
        case 0x08:
            return "FN: no requested data";
        case 0x09:
            return "FN: wrong parameter value";
        case 0x10:
            return "FN: TLV data too large";
        case 0x11:
            return "FN: no transport connection";
        case 0x12:
            return "FN: FN resource exhausted";
        case 0x14:
            return "FN: storage resource for OFD documents exhausted";
        case 0x15:
            return "FN: waiting time for OFD transfer exhausted";
        case 0x16:
            return "FN: shift longer than 24 h";
        case 0x17:
            return "FN: wrong time difference between operations";
        case 0x20:
            return "FN: OFD message cannot be accepted";
        case 0x2F:
            return "FN exchange timeout";
        case 0x30:
            return "FN does not answer";
        case 0x33:
            return "wrong command parameters";
        case 0x34:
            return "no data";
        case 0x35:
            return "wrong parameter for these settings";
        case 0x36:
            return "wrong parameters for this KKT implementation";
        case 0x37:
            return "command not supported by this implementation";
        case 0x38:
            return "ROM error";
        case 0x39:
            return "internal software error";
        case 0x3C:
        case 0x3D:
            return "shift open, operation impossible";
        case 0x45:
            return "sum of payments less than receipt total";
        case 0x46:
            return "not enough cash in the register";
        case 0x48:
            return "receipt total overflow";
        case 0x49:
            return "operation impossible in an open receipt of this type";
        case 0x4A:
            return "receipt open, operation impossible";
        case 0x4B:
            return "receipt buffer overflow";
        case 0x4D:
            return "non-cash sum exceeds receipt sum";
        case 0x4E:
            return "shift exceeded 24 h";
        case 0x4F:
            return "wrong password";
        case 0x50:
            return "printing the previous command";
        case 0x55:
            return "receipt closed, operation impossible";
        case 0x56:
            return "no document to repeat";
        case 0x58:
            return "waiting for continue printing";
        case 0x59:
            return "document opened by another operator";
        case 0x5E:
            return "wrong operation";
        case 0x5F:
            return "negative receipt total";
        case 0x61:
            return "price out of range";
        case 0x62:
            return "quantity out of range";
        case 0x63:
            return "department out of range";
        case 0x6B:
            return "no receipt tape";
        case 0x71:
            return "cutter error";
        case 0x72:
            return "command not supported in this sub-mode";
        case 0x73:
            return "command not supported in this mode";
        case 0x77:
            return "printer: no sensor signal";
        case 0x7E:
            return "wrong value in length field";
        case 0x8E:
            return "zero receipt total";
        case 0xA0:
        case 0xA1:
        case 0xA2:
        case 0xA3:
        case 0xA4:
        case 0xA5:
            return "FN: marking code error";
        case 0xC0:
            return "date/time control: confirm date";
        case 0xC4:
            return "shift numbers mismatch (KKT vs FN)";
        case 0xC8:
            return "no link with printer";
        default:
            return "";
    }
}

}  // namespace kassa::drivers::shtrih
